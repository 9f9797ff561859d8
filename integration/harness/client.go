package harness

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Client is an OpenSSH client setup with its own HOME: a user key the
// sshd accepts, a known_hosts that trusts only the sshd's host key, and an
// ssh config with one Host block per alias.
type Client struct {
	SSHD       *SSHD
	Home       string // temporary HOME, 0700
	ConfigPath string // HOME/.ssh/config; also passed with -F
	KnownHosts string // HOME/.ssh/known_hosts
	KeyPath    string // the ed25519 user key; KeyPath+".pub" is authorized
	// Env is added to the minimal environment of every Command.
	Env []string

	tb        TB
	mu        sync.Mutex
	trusted   map[string]bool // known_hosts names already written
	shareOnce sync.Once
}

// NewClient makes a client for sshd and authorizes its key there.
func NewClient(tb TB, sshd *SSHD) *Client {
	tb.Helper()
	home := tb.TempDir()
	sshDir := filepath.Join(home, ".ssh")
	if err := os.Chmod(home, 0o700); err != nil {
		tb.Fatalf("client home: %v", err)
	}
	if err := os.Mkdir(sshDir, 0o700); err != nil {
		tb.Fatalf("client .ssh: %v", err)
	}
	c := &Client{
		SSHD:       sshd,
		Home:       home,
		ConfigPath: filepath.Join(sshDir, "config"),
		KnownHosts: filepath.Join(sshDir, "known_hosts"),
		KeyPath:    filepath.Join(sshDir, "id_ed25519"),
		tb:         tb,
		trusted:    make(map[string]bool),
	}
	pub := keygen(tb, "ed25519", c.KeyPath)
	appendFile(tb, sshd.AuthorizedKeysPath, pub+"\n")
	for _, p := range []string{c.ConfigPath, c.KnownHosts} {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			tb.Fatalf("client setup: %v", err)
		}
	}
	c.Trust(sshd.Host, sshd.Port)
	return c
}

// Trust adds [host]:port to known_hosts with the sshd's ed25519 host key,
// for a relay or anything else that forwards to the sshd.
func (c *Client) Trust(host string, port int) {
	c.tb.Helper()
	name := "[" + host + "]:" + strconv.Itoa(port)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.trusted[name] {
		return
	}
	c.trusted[name] = true
	appendFile(c.tb, c.KnownHosts, name+" "+c.SSHD.HostKeyPub+"\n")
}

// AddHost appends a Host block for alias that reaches the sshd as its
// user, with the client's key and strict host key checking, then lines.
// ssh takes the first value of a keyword, so a keyword in lines replaces
// the default: AddHost("slow", "Port 4022") goes through a relay on 4022.
// The block's final HostName and Port are trusted with the sshd's key.
func (c *Client) AddHost(alias string, lines ...string) {
	c.tb.Helper()
	host, port := c.SSHD.Host, c.SSHD.Port
	extra := make([]string, len(lines))
	for i, line := range lines {
		extra[i] = "  " + strings.TrimSpace(line)
		fields := strings.Fields(strings.Replace(line, "=", " ", 1))
		if len(fields) < 2 {
			continue
		}
		switch strings.ToLower(fields[0]) {
		case "hostname":
			host = fields[1]
		case "port":
			p, err := strconv.Atoi(fields[1])
			if err != nil {
				c.tb.Fatalf("AddHost %s: bad port %q", alias, fields[1])
			}
			port = p
		}
	}
	defaults := [][2]string{
		{"HostName", c.SSHD.Host},
		{"Port", strconv.Itoa(c.SSHD.Port)},
		{"User", c.SSHD.User},
		{"IdentityFile", c.KeyPath},
		{"IdentitiesOnly", "yes"},
		{"UserKnownHostsFile", c.KnownHosts},
		{"StrictHostKeyChecking", "yes"},
		{"BatchMode", "yes"},
	}
	appendFile(c.tb, c.ConfigPath, "Host "+alias+"\n"+renderConfig(defaults, extra, "  "))
	c.Trust(host, port)
}

// EngineEnv, set in the environment of `go test`, is passed to every
// command a Client runs: SSHSHARE_ENGINE=openssh runs the tests with the
// masters' OpenSSH engine.
const EngineEnv = "SSHSHARE_ENGINE"

// configTakers are the programs that get -F ConfigPath.
var configTakers = map[string]bool{"ssh": true, "scp": true, "sftp": true}

// Command returns a command for name (ssh, scp, sftp, rsync, git, the
// sshshare binary...) with a minimal environment: PATH, HOME (the
// client's), USER, LOGNAME, LANG=C and Env. For ssh, scp and sftp it puts
// -F ConfigPath first; the others find the same config through HOME.
func (c *Client) Command(name string, args ...string) *exec.Cmd {
	if configTakers[filepath.Base(name)] {
		args = append([]string{"-F", c.ConfigPath}, args...)
	}
	cmd := exec.Command(name, args...)
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + c.Home,
		"USER=" + c.SSHD.User,
		"LOGNAME=" + c.SSHD.User,
		"LANG=C",
		// A -race sshshare sleeps a second on exit; ssh waits for its
		// KnownHostsCommand twice per connection.
		"GORACE=atexit_sleep_ms=0",
	}, c.Env...)
	if engine := os.Getenv(EngineEnv); engine != "" && !slices.ContainsFunc(c.Env, func(kv string) bool {
		return strings.HasPrefix(kv, EngineEnv+"=")
	}) {
		// The behaviour suite runs with the masters' engine forced,
		// except in a test that names its engine.
		cmd.Env = append(cmd.Env, EngineEnv+"="+engine)
	}
	return cmd
}

// SSH returns c.Command("ssh", args...).
func (c *Client) SSH(args ...string) *exec.Cmd { return c.Command("ssh", args...) }

// appendFile appends s to the file at path.
func appendFile(tb TB, path, s string) {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		tb.Fatalf("append %s: %v", path, err)
	}
	_, err = f.WriteString(s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		tb.Fatalf("append %s: %v", path, err)
	}
}
