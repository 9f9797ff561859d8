package upstream

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/skeema/knownhosts"
	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/sysio"
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
	// MinRSA is RequiredRSASize: a smaller RSA host key is refused.
	MinRSA int
	// Revoked is RevokedHostKeys, checked before everything else.
	Revoked revocation
	// Command is KnownHostsCommand; nil when there is none.
	Command *knownHostsCommand
	// Localhost is NoHostAuthenticationForLocalhost: any key is accepted
	// from a loopback address the master dialled itself, unless
	// HostKeyAlias is set.
	Localhost bool
	// Direct says the connection is the master's own TCP connection, so
	// its remote address is the host's (not a --via or proxy transport).
	Direct bool
	// CheckHostIP also checks the key under the host's address, as ssh's
	// CheckHostIP yes does.
	CheckHostIP bool
	// VerifyDNS is VerifyHostKeyDNS ("yes", "ask" or ""): sshshare cannot
	// look up SSHFP records, so it refuses by name where they would decide.
	VerifyDNS string
	// Pin is the key the master's first login accepted, which every later
	// login of the master (heal, pooled connection) must see again.
	Pin *HostKeyPin
	// Note, if set, shows the user a line as ssh's logit would (the
	// "Permanently added" warning); the line is logged either way.
	Note     func(string)
	ctx      context.Context
	db       *knownhosts.HostKeyDB
	existing []string // the Files that exist
}

// newHostKeyCheck loads the known_hosts files of cfg.
func newHostKeyCheck(cfg HostConfig) (*hostKeyCheck, error) {
	c := &hostKeyCheck{
		Files:        append(append([]string(nil), cfg.UserKnownHostsFiles...), cfg.GlobalKnownHostsFiles...),
		Alias:        cfg.HostKeyAlias,
		Strict:       cfg.StrictHostKeyChecking,
		Hash:         cfg.HashKnownHosts,
		CAAlgorithms: cfg.Algorithms.CASignatureAlgorithms,
		MinRSA:       cfg.Algorithms.RequiredRSASize,
	}
	for i, f := range c.Files {
		f = sysio.Abs(f)
		c.Files[i] = f
		if _, err := os.Stat(f); err == nil {
			c.existing = append(c.existing, f)
		}
	}
	db, err := knownhosts.NewDB(c.existing...)
	if err != nil {
		return nil, fmt.Errorf("read known hosts: %w", err)
	}
	c.db = db
	return c, nil
}

// hostfileName is the name ssh looks up and gives KnownHostsCommand as %H:
// HostKeyAlias as it is, or [host]:port (host alone for port 22).
func (c *hostKeyCheck) hostfileName(host string, port int) string {
	return knownHostsPattern(c.lookupName(host, port))
}

// withCommand returns the known hosts to look name up in: the files, plus
// what KnownHostsCommand prints for this run, and the temporary file that
// held the command's lines ("" when it printed none).
func (c *hostKeyCheck) withCommand(invocation, name string, key ssh.PublicKey) (*knownhosts.HostKeyDB, string, error) {
	out, err := c.Command.lines(invocation, name, key)
	if err != nil || len(out) == 0 {
		return c.db, "", err
	}
	return linesDB(out, c.existing...)
}

// lookupName is the known_hosts name for host:port in the host:port form
// the known hosts library takes. ssh looks HostKeyAlias up as it is, with
// no port: port 22 is the form the library reads as a bare name.
func (c *hostKeyCheck) lookupName(host string, port int) string {
	if c.Alias != "" {
		return net.JoinHostPort(c.Alias, "22")
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// algorithms returns the host key algorithms to offer: those of the known
// entries for the host (golang/go#29286), KnownHostsCommand's included as
// ssh's ORDER run finds them, or nil for x/crypto's defaults. ssh
// (order_hostkeyalgs) looks the files up by [host]:port, but gives the
// ORDER run the host name as it stands, for %H and for matching the lines
// it prints: so does this.
func (c *hostKeyCheck) algorithms(host string, port int) ([]string, error) {
	name := c.lookupName(host, port)
	algos := c.db.HostKeyAlgorithms(name)
	out, err := c.Command.lines(invocationOrder, host, nil)
	if err != nil {
		return nil, &HostKeyError{Host: name, err: err}
	}
	if len(out) == 0 {
		return algos, nil
	}
	db, _, err := linesDB(out)
	if err != nil {
		return nil, &HostKeyError{Host: name, err: err}
	}
	for _, a := range db.HostKeyAlgorithms(net.JoinHostPort(host, "22")) {
		if !slices.Contains(algos, a) {
			algos = append(algos, a)
		}
	}
	return algos, nil
}

// linesDB reads known_hosts lines (a KnownHostsCommand's) into a database
// with the known_hosts files, if any, and returns it and the temporary
// file, already removed, that held the lines.
func linesDB(lines []byte, files ...string) (*knownhosts.HostKeyDB, string, error) {
	path, err := linesFile(lines)
	if err != nil {
		return nil, "", err
	}
	defer os.Remove(path)
	db, err := knownhosts.NewDB(append(slices.Clone(files), path)...)
	if err != nil {
		return nil, "", fmt.Errorf("read KnownHostsCommand output: %w", err)
	}
	return db, path, nil
}

// linesFile writes a KnownHostsCommand's lines to a temporary file, for
// the known hosts library, which reads files; the caller removes it.
func linesFile(lines []byte) (string, error) {
	f, err := os.CreateTemp("", "sshshare-knownhostscommand-")
	if err != nil {
		return "", fmt.Errorf("KnownHostsCommand: %w", err)
	}
	_, err = f.Write(lines)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("KnownHostsCommand: %w", err)
	}
	return f.Name(), nil
}

// callback returns the ssh.HostKeyCallback for a connection to host:port.
// The first key exchange runs the checks (see firstCallback); a later one
// (a re-exchange on the same connection) must present the same key, and is
// not checked or recorded again, as in ssh.
func (c *hostKeyCheck) callback(host string, port int) ssh.HostKeyCallback {
	check := c.firstCallback(host, port)
	var first ssh.PublicKey // the key of the connection's first exchange
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		if first != nil {
			return sameHostKey(c.lookupName(host, port), first, key, "during a key re-exchange")
		}
		if err := check(hostname, remote, key); err != nil {
			return err
		}
		first = key
		return nil
	}
}

// firstCallback checks the host key of a connection's first key exchange.
// The checks run in ssh's order: RevokedHostKeys, then the master's pin
// (HostKeyPin), then NoHostAuthenticationForLocalhost, then the known
// hosts.
func (c *hostKeyCheck) firstCallback(host string, port int) ssh.HostKeyCallback {
	name := c.lookupName(host, port)
	var verify ssh.HostKeyCallback
	verify = func(_ string, remote net.Addr, key ssh.PublicKey) error {
		if err := c.Revoked.check(c.context(), key); err != nil {
			return &HostKeyError{Host: name, err: err}
		}
		if bits := rsaTooSmall(key, c.MinRSA); bits > 0 {
			return &HostKeyError{Host: name, err: fmt.Errorf("host key for %s is RSA %s with %d bits, fewer than RequiredRSASize %d: refusing it as ssh does",
				name, ssh.FingerprintSHA256(key), bits, c.MinRSA)}
		}
		if err := c.Pin.check(name, key); err != nil {
			return err
		}
		if c.localhost(remote) {
			return c.Pin.keep(key)
		}
		if cert, ok := key.(*ssh.Certificate); ok && !caAllowed(cert, c.CAAlgorithms) {
			if err := c.plainKey(name, cert, remote, verify); err != nil {
				return err
			}
			return c.Pin.keep(key)
		}
		db, fromCommand, err := c.withCommand(invocationHostname, c.hostfileName(host, port), key)
		if err != nil {
			return &HostKeyError{Host: name, err: err}
		}
		// The name decides; the remote address may be a master's Unix
		// socket (--via), which known_hosts cannot parse.
		err = db.HostKeyCallback()(name, nameAddr(name), key)
		var keyErr *xknownhosts.KeyError
		// ssh writes an address down only next to a name it has in a file.
		recordIP := true
		switch {
		case err == nil:
			recordIP = fromCommand == "" || c.db.HostKeyCallback()(name, nameAddr(name), key) == nil
		case !errors.As(err, &keyErr):
			return &HostKeyError{Host: name, err: err} // an @revoked line
		case len(keyErr.Want) > 0:
			return c.changedError(name, key, keyErr, fromCommand)
		default:
			if err := c.dnsWouldDecide(host, name, key); err != nil {
				return err
			}
			if err := c.unknown(name, key); err != nil {
				return err
			}
		}
		if err := c.checkHostIP(name, c.hostIP(host, port, remote, key), key, recordIP); err != nil {
			return err
		}
		return c.Pin.keep(key)
	}
	return verify
}

// plainKey checks a host certificate whose CA signature algorithm
// CASignatureAlgorithms leaves out as the plain key it certifies, as ssh
// does; if that fails too, the error says why the certificate was not used.
func (c *hostKeyCheck) plainKey(name string, cert *ssh.Certificate, remote net.Addr, verify ssh.HostKeyCallback) error {
	err := verify(name, remote, cert.Key)
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

// context bounds the checks' commands: the login's context.
func (c *hostKeyCheck) context() context.Context {
	if c.ctx == nil {
		return context.Background()
	}
	return c.ctx
}

// localhost reports whether NoHostAuthenticationForLocalhost skips the
// check: as in ssh, the connected address (not the name) is loopback,
// 127.0.0.0/8 or ::1, and no HostKeyAlias is set. A connection through a
// transport has no address of the host, as a ProxyCommand has none in ssh.
func (c *hostKeyCheck) localhost(remote net.Addr) bool {
	if !c.Localhost || !c.Direct || c.Alias != "" {
		return false
	}
	tcp, ok := remote.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// nameAddr is a net.Addr whose String is a host:port name.
type nameAddr string

func (a nameAddr) Network() string { return "tcp" }
func (a nameAddr) String() string  { return string(a) }

// changedError is ssh's "REMOTE HOST IDENTIFICATION HAS CHANGED", refused
// whatever StrictHostKeyChecking says.
// fromCommand is the file that held KnownHostsCommand's lines, if any.
func (c *hostKeyCheck) changedError(name string, key ssh.PublicKey, e *xknownhosts.KeyError, fromCommand string) error {
	known := e.Want[0]
	where := fmt.Sprintf("%s:%d", known.Filename, known.Line)
	fix := fmt.Sprintf("if the host was really replaced: ssh-keygen -f %s -R %s", known.Filename, knownHostsPattern(name))
	if fromCommand != "" && known.Filename == fromCommand {
		where = fmt.Sprintf("line %d of KnownHostsCommand's output", known.Line)
		fix = "if the host was really replaced, the source KnownHostsCommand reads must be updated"
	}
	err := fmt.Errorf("host key for %s has changed (now %s %s; %s has %s): refusing to log in, someone could be eavesdropping or the address was recycled",
		knownHostsPattern(name), key.Type(), ssh.FingerprintSHA256(key), where, ssh.FingerprintSHA256(known.Key))
	return hint.With(&HostKeyError{Host: name, Changed: true, err: err}, fix)
}

// unknown applies StrictHostKeyChecking to a key not in known_hosts.
func (c *hostKeyCheck) unknown(name string, key ssh.PublicKey) error {
	switch c.Strict {
	case "accept-new", "false", "no", "off":
		// ssh adds the key under both, and says so; /dev/null means the
		// user wants nothing recorded, and ssh says so all the same.
		if c.recordsNothing() {
			if len(c.Files) > 0 {
				c.note(permanentlyAdded(name, key))
			}
			return nil
		}
		return c.recordNew(name, key)
	case "ask":
		if c.Prompter != nil {
			return c.ask(name, key)
		}
	}
	return c.unknownError(name, key)
}

// dnsWouldDecide refuses by name an unknown key that ssh, with
// VerifyHostKeyDNS, would weigh against the host's SSHFP records: with
// StrictHostKeyChecking yes a DNSSEC-signed match would let ssh in, and
// with ask ssh shows what DNS says in its question. sshshare does no DNS
// lookups. Where the key is known, or any key is accepted anyway, DNS
// changes nothing and the check goes on; ssh looks up no records for a
// HostName that is an address.
func (c *hostKeyCheck) dnsWouldDecide(host, name string, key ssh.PublicKey) error {
	if c.VerifyDNS == "" || isNumericHost(host) {
		return nil
	}
	switch c.Strict {
	case "yes", "true", "ask":
	default:
		return nil
	}
	err := fmt.Errorf("host key for %s is not known (%s %s), and sshshare does not check SSHFP records as VerifyHostKeyDNS %s asks",
		knownHostsPattern(name), key.Type(), ssh.FingerprintSHA256(key), c.VerifyDNS)
	return hint.With(&HostKeyError{Host: name, err: err},
		"connect once with plain ssh, which checks the SSHFP records, and accept the key to record it in known_hosts")
}

// isNumericHost reports whether host is an IP address (with a zone, for
// IPv6), for which ssh skips DNS.
func isNumericHost(host string) bool {
	addr, _, _ := strings.Cut(host, "%")
	return net.ParseIP(addr) != nil
}

// unknownError refuses a key no trust source knows, with the fix that fits
// the sources the config has.
func (c *hostKeyCheck) unknownError(name string, key ssh.PublicKey) error {
	err := fmt.Errorf("host key for %s is not known (%s %s)", knownHostsPattern(name), key.Type(), ssh.FingerprintSHA256(key))
	fix := "connect once with plain ssh to check and record it, or set StrictHostKeyChecking accept-new"
	switch {
	case c.Command != nil && c.Command.skipped != "":
		fix = c.Command.skipped + "; give its full path"
	case c.Command != nil:
		fix = "KnownHostsCommand printed no known_hosts line for " + knownHostsPattern(name) +
			" (its %H): check what it prints, or connect once with plain ssh to check and record the key"
	}
	return hint.With(&HostKeyError{Host: name, err: err}, fix)
}

// ask shows the unknown key's fingerprint as ssh does and records it if the
// user says yes or types the fingerprint.
func (c *hostKeyCheck) ask(name string, key ssh.PublicKey) error {
	fp := ssh.FingerprintSHA256(key)
	q := Question{
		Instruction: local(fmt.Sprintf("The authenticity of host '%s' can't be established.\n%s key fingerprint is %s.\nThis key is not known by any other names.",
			knownHostsPattern(name), keyTypeName(key), fp)),
		Prompts: []string{local("Are you sure you want to continue connecting (yes/no/[fingerprint])? ")},
		Echos:   []bool{true},
	}
	for range 3 {
		answers, err := c.Prompter.Ask(q)
		if err != nil {
			return err
		}
		switch a := strings.TrimSpace(strings.Join(answers, "")); {
		case strings.EqualFold(a, "yes") || a == fp:
			return c.recordNew(name, key)
		case strings.EqualFold(a, "no"):
			return &HostKeyError{Host: name, err: fmt.Errorf("host key verification failed for %s", name)}
		}
		q.Instruction = ""
		q.Prompts = []string{local("Please type 'yes', 'no' or the fingerprint: ")}
	}
	return &HostKeyError{Host: name, err: fmt.Errorf("host key verification failed for %s", name)}
}

// keyTypeName is how ssh names a key type in its questions (ED25519, RSA).
func keyTypeName(key ssh.PublicKey) string {
	t := strings.TrimPrefix(key.Type(), "ssh-")
	t, _, _ = strings.Cut(t, "-")
	return strings.ToUpper(t)
}

// recordsNothing reports whether ssh's first user known_hosts file is
// /dev/null (or missing): StrictHostKeyChecking no and accept-new then
// record nothing, and the master's pin (HostKeyPin) is all that keeps a
// later login on the same host.
func (c *hostKeyCheck) recordsNothing() bool {
	if len(c.Files) == 0 {
		return c.offStrict()
	}
	return c.Files[0] == os.DevNull
}

// note shows the user line, as ssh's logit does.
func (c *hostKeyCheck) note(line string) {
	if c.Note != nil {
		c.Note(line)
	}
}

// recordNew records a newly accepted key and says so, as ssh does.
func (c *hostKeyCheck) recordNew(name string, key ssh.PublicKey) error {
	if err := c.record(name, key); err != nil {
		return err
	}
	c.note(permanentlyAdded(name, key))
	return nil
}

// permanentlyAdded is ssh's line for a host key it recorded.
func permanentlyAdded(name string, key ssh.PublicKey) string {
	return fmt.Sprintf("Warning: Permanently added '%s' (%s) to the list of known hosts.", knownHostsPattern(name), keyTypeName(key))
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

// Unwrap returns the cause, such as a *RevokedError.
func (e *HostKeyError) Unwrap() error { return e.err }
