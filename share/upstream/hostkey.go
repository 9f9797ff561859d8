package upstream

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/skeema/knownhosts"
	"github.com/sshshare/sshshare/share/hint"
	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

// hostKeyCheck verifies the upstream's host key against the user's
// known_hosts files as ssh would. It never logs in to a host whose key
// changed: a recycled IP with a new instance behind it must not silently
// receive the user's session.
type hostKeyCheck struct {
	Files  []string // UserKnownHostsFile then GlobalKnownHostsFile, existing or not
	Alias  string   // HostKeyAlias: the name looked up instead of the host
	Strict string   // StrictHostKeyChecking as ssh -G prints it
	// Prompter asks about an unknown key when Strict is "ask"; nil refuses.
	Prompter Prompter
	Hash     bool // HashKnownHosts: record names hashed, as ssh does
	// CAAlgorithms is CASignatureAlgorithms: a host certificate signed
	// otherwise is checked as its plain key, as ssh does.
	CAAlgorithms []string
	db           *knownhosts.HostKeyDB
}

// newHostKeyCheck loads the known_hosts files of cfg.
func newHostKeyCheck(cfg HostConfig) (*hostKeyCheck, error) {
	c := &hostKeyCheck{
		Files:        append(append([]string(nil), cfg.UserKnownHostsFiles...), cfg.GlobalKnownHostsFiles...),
		Alias:        cfg.HostKeyAlias,
		Strict:       cfg.StrictHostKeyChecking,
		Hash:         cfg.HashKnownHosts,
		CAAlgorithms: cfg.Algorithms.CASignatureAlgorithms,
	}
	var existing []string
	for _, f := range c.Files {
		if _, err := os.Stat(f); err == nil {
			existing = append(existing, f)
		}
	}
	db, err := knownhosts.NewDB(existing...)
	if err != nil {
		return nil, fmt.Errorf("read known hosts: %w", err)
	}
	c.db = db
	return c, nil
}

// lookupName is the known_hosts name for host:port, honouring HostKeyAlias.
func (c *hostKeyCheck) lookupName(host string, port int) string {
	if c.Alias != "" {
		host = c.Alias
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// algorithms returns the host key algorithms to offer: those of the known
// entries for the host (golang/go#29286), or nil for x/crypto's defaults.
func (c *hostKeyCheck) algorithms(host string, port int) []string {
	return c.db.HostKeyAlgorithms(c.lookupName(host, port))
}

// callback returns the ssh.HostKeyCallback for a connection to host:port.
func (c *hostKeyCheck) callback(host string, port int) ssh.HostKeyCallback {
	name := c.lookupName(host, port)
	check := c.db.HostKeyCallback()
	var verify ssh.HostKeyCallback
	verify = func(_ string, _ net.Addr, key ssh.PublicKey) error {
		if cert, ok := key.(*ssh.Certificate); ok && !caAllowed(cert, c.CAAlgorithms) {
			return c.plainKey(name, cert, verify)
		}
		// The name decides; the remote address may be a master's Unix
		// socket (--via), which known_hosts cannot parse.
		err := check(name, nameAddr(name), key)
		var keyErr *xknownhosts.KeyError
		if err == nil || !errors.As(err, &keyErr) {
			return err
		}
		if len(keyErr.Want) > 0 {
			return c.changedError(name, key, keyErr)
		}
		return c.unknown(name, key)
	}
	return verify
}

// plainKey checks a host certificate whose CA signature algorithm
// CASignatureAlgorithms leaves out as the plain key it certifies, as ssh
// does; if that fails too, the error says why the certificate was not used.
func (c *hostKeyCheck) plainKey(name string, cert *ssh.Certificate, verify ssh.HostKeyCallback) error {
	err := verify(name, nameAddr(name), cert.Key)
	if err == nil {
		return nil
	}
	reason := fmt.Errorf("host certificate for %s is signed with %s, which CASignatureAlgorithms does not list; its plain key: %w",
		name, cert.Signature.Format, err)
	var hk *HostKeyError
	if errors.As(err, &hk) {
		return &HostKeyError{Host: hk.Host, Changed: hk.Changed, err: reason}
	}
	return reason
}

// nameAddr is a net.Addr whose String is a host:port name.
type nameAddr string

func (a nameAddr) Network() string { return "tcp" }
func (a nameAddr) String() string  { return string(a) }

// changedError is ssh's "REMOTE HOST IDENTIFICATION HAS CHANGED", refused
// whatever StrictHostKeyChecking says.
func (c *hostKeyCheck) changedError(name string, key ssh.PublicKey, e *xknownhosts.KeyError) error {
	known := e.Want[0]
	err := fmt.Errorf("host key for %s has changed (now %s %s; %s:%d has %s): refusing to log in, someone could be eavesdropping or the address was recycled",
		name, key.Type(), ssh.FingerprintSHA256(key), known.Filename, known.Line, ssh.FingerprintSHA256(known.Key))
	return hint.With(&HostKeyError{Host: name, Changed: true, err: err},
		fmt.Sprintf("if the host was really replaced: ssh-keygen -f %s -R %s", known.Filename, knownHostsPattern(name)))
}

// unknown applies StrictHostKeyChecking to a key not in known_hosts.
func (c *hostKeyCheck) unknown(name string, key ssh.PublicKey) error {
	switch c.Strict {
	case "accept-new":
		return c.record(name, key)
	case "false", "no", "off":
		return nil
	case "ask":
		if c.Prompter != nil {
			return c.ask(name, key)
		}
	}
	err := fmt.Errorf("host key for %s is not known (%s %s)", name, key.Type(), ssh.FingerprintSHA256(key))
	return hint.With(&HostKeyError{Host: name, err: err},
		"connect once with plain ssh to check and record it, or set StrictHostKeyChecking accept-new")
}

// ask shows the unknown key's fingerprint as ssh does and records it if the
// user says yes or types the fingerprint.
func (c *hostKeyCheck) ask(name string, key ssh.PublicKey) error {
	fp := ssh.FingerprintSHA256(key)
	q := Question{
		Instruction: fmt.Sprintf("The authenticity of host '%s' can't be established.\n%s key fingerprint is %s.\nThis key is not known by any other names.",
			knownHostsPattern(name), keyTypeName(key), fp),
		Prompts: []string{"Are you sure you want to continue connecting (yes/no/[fingerprint])? "},
		Echos:   []bool{true},
	}
	for range 3 {
		answers, err := c.Prompter.Ask(q)
		if err != nil {
			return err
		}
		switch a := strings.TrimSpace(strings.Join(answers, "")); {
		case strings.EqualFold(a, "yes") || a == fp:
			return c.record(name, key)
		case strings.EqualFold(a, "no"):
			return &HostKeyError{Host: name, err: fmt.Errorf("host key verification failed for %s", name)}
		}
		q.Instruction = ""
		q.Prompts = []string{"Please type 'yes', 'no' or the fingerprint: "}
	}
	return &HostKeyError{Host: name, err: fmt.Errorf("host key verification failed for %s", name)}
}

// keyTypeName is how ssh names a key type in its questions (ED25519, RSA).
func keyTypeName(key ssh.PublicKey) string {
	t := strings.TrimPrefix(key.Type(), "ssh-")
	t, _, _ = strings.Cut(t, "-")
	return strings.ToUpper(t)
}

// record appends the host's key to the first user known_hosts file.
func (c *hostKeyCheck) record(name string, key ssh.PublicKey) error {
	if len(c.Files) == 0 {
		return fmt.Errorf("record host key for %s: no known hosts file", name)
	}
	file := c.Files[0]
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("record host key: %w", err)
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("record host key: %w", err)
	}
	entry := knownhosts.Normalize(name)
	if c.Hash {
		entry = xknownhosts.HashHostname(entry)
	}
	_, err = fmt.Fprintf(f, "%s %s", entry, ssh.MarshalAuthorizedKey(key))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, fs.ErrClosed) {
		return fmt.Errorf("record host key in %s: %w", file, err)
	}
	return nil
}

// knownHostsPattern is how ssh-keygen -R names host:port: [host]:port, or
// the bare host for port 22.
func knownHostsPattern(hostPort string) string {
	return knownhosts.Normalize(hostPort)
}

// HostKeyError is an upstream host key that is unknown or has changed.
type HostKeyError struct {
	Host    string
	Changed bool
	err     error
}

func (e *HostKeyError) Error() string { return e.err.Error() }
