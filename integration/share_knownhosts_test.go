package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestShareKnownHostsFile: instead of KnownHostsCommand, the local host
// keys' known_hosts file listed as a global or a second user known hosts
// file lets ssh accept the master. The master checks the real host key
// against the other files only: with accept-new and a host not yet known,
// it records the real key in the user's file, where reading the local
// file's wildcard lines would have made it ask sshd for the local key's
// type and refuse the real key as changed.
func TestShareKnownHostsFile(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines func(known, local string) []string
	}{
		{"GlobalKnownHostsFile", func(known, local string) []string {
			return []string{"UserKnownHostsFile " + known, "GlobalKnownHostsFile /etc/ssh/ssh_known_hosts " + local}
		}},
		{"UserKnownHostsFile", func(known, local string) []string {
			return []string{"UserKnownHostsFile " + known + " " + local}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sshd := harness.StartSSHD(t, harness.SSHDOptions{HostKeyTypes: []string{"ecdsa"}})
			c := harness.NewClient(t, sshd)
			local := filepath.Join(c.Home, ".ssh", "sshshare", "known_hosts")
			known := filepath.Join(c.Home, ".ssh", "known_hosts_new")
			lines := append([]string{"KnownHostsCommand none", "StrictHostKeyChecking accept-new"}, tc.lines(known, local)...)
			c.AddShareHost("h", harness.Binary(t), lines...)
			// No known-hosts run first: the master writes the file as it
			// starts, before ssh checks the key it presents.
			for i := range 3 {
				res := harness.Run(t, sshTimeout, c.SSH("h", "echo", "ok"))
				if res.Code != 0 || string(res.Stdout) != "ok\n" {
					t.Fatalf("ssh #%d through the known_hosts file: %s; want exit 0, \"ok\\n\"", i+1, res)
				}
			}
			if got := sshd.Logins(); got != 1 {
				t.Errorf("sshd logins = %d; want 1", got)
			}
			// Only the real key: had ssh not read the local file, it would
			// have recorded the master's key here too.
			recorded, err := os.ReadFile(known)
			records := strings.Split(strings.TrimSpace(string(recorded)), "\n")
			if err != nil || len(records) != 1 || !strings.Contains(records[0], sshd.HostKeys["ecdsa"]) && !strings.Contains(records[0], sshd.HostKeyPub) {
				t.Errorf("%s after accept-new: %q, %v; want one line, the real host key", known, recorded, err)
			}
		})
	}
}
