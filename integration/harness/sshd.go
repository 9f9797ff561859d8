package harness

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// sshdInstallHint is the message when sshd is missing. The tests never
// skip for want of it: a skipped integration suite looks like a passing one.
const sshdInstallHint = "sshd not installed: apt-get install -y openssh-server"

// startTimeout bounds each wait for sshd to listen.
const startTimeout = 10 * time.Second

// SSHDOptions adjusts the sshd_config StartSSHD renders.
type SSHDOptions struct {
	// HostKeyTypes lists host key types besides ed25519, which is always
	// made: "rsa", "ecdsa".
	HostKeyTypes []string
	// MaxSessions sets MaxSessions; 0 keeps sshd's default (10).
	MaxSessions int
	// UsePAM sets UsePAM yes.
	UsePAM bool
	// Extra is appended verbatim to sshd_config. sshd takes the first
	// value of a keyword, so a keyword set in Extra before any Match line
	// replaces the harness's default instead of being ignored.
	Extra string
	// Env is added to the environment sshd inherits from the test
	// (KRB5_KTNAME, say: see KDC.ServeSSHD).
	Env []string
}

// SSHD is a running OpenSSH server on 127.0.0.1 that lets the current
// user log in with keys listed in AuthorizedKeysPath.
type SSHD struct {
	Host string // "127.0.0.1"
	Port int
	User string // the current user, the only one a non-root sshd serves
	// HostKeyPub is the ed25519 host public key, "ssh-ed25519 AAAA...".
	HostKeyPub string
	// HostKeys maps each host key type to its public key line.
	HostKeys           map[string]string
	Dir                string // holds the config, keys and log
	ConfigPath         string
	AuthorizedKeysPath string
	LogPath            string // sshd's stderr (-e), LogLevel VERBOSE
	Proc               *Proc
}

// RequireSSHD returns the path of sshd or calls tb.Fatalf with the
// install hint. It never skips, in CI or out of it.
func RequireSSHD(tb TB) string {
	tb.Helper()
	path := "/usr/sbin/sshd"
	if _, err := os.Stat(path); err != nil {
		if path, err = exec.LookPath("sshd"); err != nil {
			tb.Fatalf("%s", sshdInstallHint)
		}
	}
	// sshd re-executes itself and insists on an absolute path.
	abs, err := filepath.Abs(path)
	if err != nil {
		tb.Fatalf("sshd path %s: %v", path, err)
	}
	return abs
}

// StartSSHD starts sshd -D -e on a free port of 127.0.0.1 and waits until
// it listens. A cleanup stops it and every session it forked.
func StartSSHD(tb TB, opts SSHDOptions) *SSHD {
	tb.Helper()
	bin := RequireSSHD(tb)
	u, err := user.Current()
	if err != nil {
		tb.Fatalf("current user: %v", err)
	}
	if os.Geteuid() == 0 {
		// sshd 9.2 running as root chroots its unprivileged child here.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			tb.Fatalf("privilege separation dir: %v", err)
		}
	}
	s := &SSHD{Host: "127.0.0.1", User: u.Username, Dir: tb.TempDir(), HostKeys: make(map[string]string)}
	s.AuthorizedKeysPath = filepath.Join(s.Dir, "authorized_keys")
	if err := os.WriteFile(s.AuthorizedKeysPath, nil, 0o600); err != nil {
		tb.Fatalf("authorized keys: %v", err)
	}
	var hostKeys []string
	for _, typ := range append([]string{"ed25519"}, opts.HostKeyTypes...) {
		key := filepath.Join(s.Dir, "ssh_host_"+typ+"_key")
		s.HostKeys[typ] = keygen(tb, typ, key)
		hostKeys = append(hostKeys, key)
	}
	s.HostKeyPub = s.HostKeys["ed25519"]
	for attempt := 1; ; attempt++ {
		err := s.start(tb, bin, hostKeys, opts, attempt)
		if err == nil {
			return s
		}
		if !errors.Is(err, errPortTaken) || attempt == 3 {
			tb.Fatalf("start sshd: %v\nlog:\n%s", err, s.Log())
		}
		tb.Logf("sshd: port %d taken, retrying", s.Port)
	}
}

var errPortTaken = errors.New("port taken")

// start renders the config for a fresh port and runs sshd once. It fails
// with errPortTaken if someone bound the port between pick and start.
func (s *SSHD) start(tb TB, bin string, hostKeys []string, opts SSHDOptions, attempt int) error {
	tb.Helper()
	port, err := freePort()
	if err != nil {
		return err
	}
	s.Port = port
	s.ConfigPath = filepath.Join(s.Dir, "sshd_config")
	config := renderSSHDConfig(port, hostKeys, s.AuthorizedKeysPath, opts)
	if err := os.WriteFile(s.ConfigPath, []byte(config), 0o600); err != nil {
		return err
	}
	s.LogPath = filepath.Join(s.Dir, fmt.Sprintf("sshd.%d.log", attempt))
	logFile, err := os.Create(s.LogPath)
	if err != nil {
		return err
	}
	defer logFile.Close() // sshd has its own copy
	cmd := exec.Command(bin, "-D", "-e", "-f", s.ConfigPath)
	if len(opts.Env) > 0 {
		cmd.Env = append(os.Environ(), opts.Env...)
	}
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	s.Proc = Start(tb, cmd)
	return s.waitListening()
}

// waitListening polls until the log says sshd listens and the port
// answers with an SSH banner. The probe is one connection that never
// authenticates, so it does not count as a login.
func (s *SSHD) waitListening() error {
	want := fmt.Sprintf("Server listening on 127.0.0.1 port %d", s.Port)
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		if s.Proc.Exited() {
			if strings.Contains(s.Log(), "Address already in use") {
				return errPortTaken
			}
			return fmt.Errorf("sshd exited: %v", s.Proc.Err())
		}
		if strings.Contains(s.Log(), want) && probeBanner(s.Addr()) == nil {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("sshd not listening on %s after %v", s.Addr(), startTimeout)
}

// probeBanner connects to addr and reads the server's identification line.
func probeBanner(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	buf := make([]byte, 4)
	if _, err := c.Read(buf); err != nil {
		return err
	}
	if string(buf) != "SSH-" {
		return fmt.Errorf("%s: not an SSH server: %q", addr, buf)
	}
	return nil
}

// renderSSHDConfig writes the harness defaults, dropping any keyword that
// opts.Extra sets before its first Match so that Extra's value wins.
func renderSSHDConfig(port int, hostKeys []string, authorizedKeys string, opts SSHDOptions) string {
	defaults := [][2]string{
		{"Port", strconv.Itoa(port)},
		{"ListenAddress", "127.0.0.1"},
	}
	for _, k := range hostKeys {
		defaults = append(defaults, [2]string{"HostKey", k})
	}
	usePAM := "no"
	if opts.UsePAM {
		usePAM = "yes"
	}
	defaults = append(defaults, [][2]string{
		{"PidFile", "none"},
		{"AuthorizedKeysFile", authorizedKeys},
		{"StrictModes", "no"},
		{"UsePAM", usePAM},
		{"PasswordAuthentication", "no"},
		{"KbdInteractiveAuthentication", "no"},
		{"LogLevel", "VERBOSE"},
		{"Subsystem", "sftp internal-sftp"},
		{"AcceptEnv", "LANG LC_* SSHSHARE_TEST_*"},
		{"PermitUserEnvironment", "no"},
		{"AllowTcpForwarding", "yes"},
		{"GatewayPorts", "no"},
		{"X11Forwarding", "no"},
	}...)
	if opts.MaxSessions > 0 {
		defaults = append(defaults, [2]string{"MaxSessions", strconv.Itoa(opts.MaxSessions)})
	}
	return renderConfig(defaults, strings.Split(opts.Extra, "\n"), "", "HostKey", "AcceptEnv")
}

// renderConfig renders "Keyword value" lines for ssh_config and
// sshd_config, which both use the first value given for a keyword: a
// default is left out when extra sets the same keyword (before any Match
// or Host line), unless the keyword accumulates values (listed in
// cumulative). Defaults are indented by indent; the extra lines follow as
// given.
func renderConfig(defaults [][2]string, extra []string, indent string, cumulative ...string) string {
	set := make(map[string]bool)
	for _, line := range extra {
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		kw := strings.ToLower(strings.SplitN(fields[0], "=", 2)[0])
		if kw == "match" || kw == "host" {
			break
		}
		set[kw] = true
	}
	for _, kw := range cumulative {
		delete(set, strings.ToLower(kw))
	}
	var b strings.Builder
	for _, d := range defaults {
		if !set[strings.ToLower(d[0])] {
			fmt.Fprintf(&b, "%s%s %s\n", indent, d[0], d[1])
		}
	}
	for _, line := range extra {
		if strings.TrimSpace(line) != "" {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// Addr returns "127.0.0.1:PORT".
func (s *SSHD) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Log returns sshd's log so far.
func (s *SSHD) Log() string {
	b, _ := os.ReadFile(s.LogPath)
	return string(b)
}

// loginMarks are the log lines sshd writes once per successful login.
var loginMarks = []string{
	"Accepted publickey for ",
	"Accepted password for ",
	"Accepted keyboard-interactive",
	"Accepted gssapi-with-mic for ",
}

// Logins counts successful logins so far.
func (s *SSHD) Logins() int {
	n := 0
	for _, line := range strings.Split(s.Log(), "\n") {
		for _, m := range loginMarks {
			if strings.Contains(line, m) {
				n++
				break
			}
		}
	}
	return n
}

// WaitLogins waits until at least n logins have happened, or calls
// tb.Fatalf after timeout.
func (s *SSHD) WaitLogins(tb TB, n int, timeout time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for s.Logins() < n {
		if time.Now().After(deadline) {
			tb.Fatalf("sshd: %d logins after %v; want %d\nlog:\n%s", s.Logins(), timeout, n, s.Log())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// freePort returns a port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// keygen makes an unencrypted key pair of type typ at path with ssh-keygen
// and returns the public key line without its comment.
func keygen(tb TB, typ, path string) string {
	tb.Helper()
	cmd := exec.Command("ssh-keygen", "-q", "-t", typ, "-N", "", "-C", "sshshare-test", "-f", path)
	if res := Run(tb, 30*time.Second, cmd); res.Code != 0 {
		tb.Fatalf("ssh-keygen -t %s: %s", typ, res)
	}
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		tb.Fatalf("read public key: %v", err)
	}
	fields := strings.Fields(string(pub))
	if len(fields) < 2 {
		tb.Fatalf("public key %s: malformed: %q", path, pub)
	}
	return fields[0] + " " + fields[1]
}
