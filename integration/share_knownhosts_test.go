package integration

import (
	"path/filepath"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestShareKnownHostsFile: instead of KnownHostsCommand, the local host
// key's known_hosts file listed as a second UserKnownHostsFile lets ssh
// accept the master, and the master still checks the real host key
// against the first file only.
func TestShareKnownHostsFile(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	c := harness.NewClient(t, sshd)
	bin := harness.Binary(t)
	local := filepath.Join(c.Home, ".ssh", "sshshare", "known_hosts")
	c.AddShareHost("h", bin, "KnownHostsCommand none", "UserKnownHostsFile "+c.KnownHosts+" "+local)
	// No known-hosts run first: the master writes the file as it starts,
	// before ssh checks the key it presents.
	for i := range 3 {
		res := harness.Run(t, sshTimeout, c.SSH("h", "echo", "ok"))
		if res.Code != 0 || string(res.Stdout) != "ok\n" {
			t.Fatalf("ssh #%d through the known_hosts file: %s; want exit 0, \"ok\\n\"", i+1, res)
		}
	}
	if got := sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d; want 1", got)
	}
}
