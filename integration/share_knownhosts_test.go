package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestShareLocalHostKeyTrust: each documented way of letting ssh accept
// the master's local host keys works on its own — the local known_hosts
// file as a global (the README's) or second user known hosts file, or an
// absolute KnownHostsCommand. The master checks the real host key against
// the other files only: with accept-new and a host not yet known, it
// records the real key in the user's file, where reading the local file's
// wildcard lines would have made it ask sshd for the local key's type and
// refuse the real key as changed.
func TestShareLocalHostKeyTrust(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines func(c *harness.Client, known string) []string
	}{
		{"GlobalKnownHostsFile", func(c *harness.Client, known string) []string {
			return nil // the harness's lines, as the README's
		}},
		{"UserKnownHostsFile", func(c *harness.Client, known string) []string {
			return []string{"UserKnownHostsFile " + known + " " + c.LocalKnownHosts(), "GlobalKnownHostsFile /etc/ssh/ssh_known_hosts"}
		}},
		{"KnownHostsCommand", func(c *harness.Client, known string) []string {
			return []string{"KnownHostsCommand " + harness.Binary(t) + " known-hosts %H", "GlobalKnownHostsFile /etc/ssh/ssh_known_hosts"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sshd := harness.StartSSHD(t, harness.SSHDOptions{HostKeyTypes: []string{"ecdsa"}})
			c := harness.NewClient(t, sshd)
			known := filepath.Join(c.Home, ".ssh", "known_hosts_new")
			// ssh takes the first value of a keyword: the case's lines first.
			lines := append(tc.lines(c, known), "UserKnownHostsFile "+known, "StrictHostKeyChecking accept-new")
			c.AddShareHost("h", harness.Binary(t), lines...)
			// No known-hosts run first: the master writes the file as it
			// starts, before ssh checks the key it presents.
			for i := range 3 {
				res := harness.Run(t, sshTimeout, c.SSH("h", "echo", "ok"))
				if res.Code != 0 || string(res.Stdout) != "ok\n" {
					t.Fatalf("ssh #%d: %s; want exit 0, \"ok\\n\"", i+1, res)
				}
			}
			if got := sshd.Logins(); got != 1 {
				t.Errorf("sshd logins = %d; want 1", got)
			}
			// Only the real key: had ssh not accepted the local key, it
			// would have recorded the master's key here too.
			recorded, err := os.ReadFile(known)
			records := strings.Split(strings.TrimSpace(string(recorded)), "\n")
			if err != nil || len(records) != 1 || !strings.Contains(records[0], sshd.HostKeys["ecdsa"]) && !strings.Contains(records[0], sshd.HostKeyPub) {
				t.Errorf("%s after accept-new: %q, %v; want one line, the real host key", known, recorded, err)
			}
		})
	}
}

// TestShareLocalHostKeyUntrusted: a Host block with which ssh cannot
// accept the local host key — a KnownHostsCommand by a bare name, which
// ssh refuses to run, or no line at all — fails at once with one sshshare
// line and the fix, before any login, instead of ssh's warning that the
// host's identification has changed.
func TestShareLocalHostKeyUntrusted(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	for _, tc := range []struct {
		name, line, want string
	}{
		{"relative KnownHostsCommand", "KnownHostsCommand sshshare known-hosts %H", "absolute path"},
		{"nothing", "KnownHostsCommand none", "no way to accept"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := harness.NewClient(t, sshd)
			c.AddShareHost("h", harness.Binary(t), tc.line, "GlobalKnownHostsFile /etc/ssh/ssh_known_hosts")
			before := sshd.Logins()
			res := harness.Run(t, sshTimeout, c.SSH("h", "echo", "ok"))
			lines := loginSSHShareLines(res.Stderr)
			if res.Code != 255 || len(lines) != 2 || !strings.Contains(lines[0], tc.want) ||
				!strings.Contains(lines[1], "hint: ") || !strings.Contains(lines[1], "GlobalKnownHostsFile") {
				t.Errorf("ssh: %s; want exit 255, a sshshare line with %q and a hint naming GlobalKnownHostsFile", res, tc.want)
			}
			if strings.Contains(string(res.Stderr), "IDENTIFICATION HAS CHANGED") {
				t.Errorf("ssh warned of a changed host key:\n%s", res.Stderr)
			}
			if got := sshd.Logins() - before; got != 0 {
				t.Errorf("sshd logins = %d; want 0: the master should not log in", got)
			}
		})
	}
}
