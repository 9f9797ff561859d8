//go:build unix

package integration

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestMuxAgent: `ssh -A` through the mux door forwards that ssh's own
// agent (its SSH_AUTH_SOCK, which the master reads through the client's
// pid), not the master's: two clients with two agents each see their own
// key, the mux door serves both (no fallback line on stderr), and the
// second agent costs one more login, as on the ProxyCommand door.
func TestMuxAgent(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{Extra: "SetEnv HOME=" + t.TempDir() + "\n"})
	c := harness.NewClient(t, sshd)
	bin := harness.Binary(t)
	c.AddMuxHost("m", bin)
	if res := harness.Run(t, sshTimeout, c.SSH("m", "true")); res.Code != 0 {
		t.Fatalf("warm-up: %s", res)
	}
	dir := t.TempDir()
	fp := map[string]string{}
	sock := map[string]string{}
	for _, name := range []string{"A", "B"} {
		key := filepath.Join(dir, "id_"+name)
		loginNewKey(t, key, "")
		sock[name] = loginStartAgent(t)
		loginSSHAdd(t, c, sock[name], key)
		fp[name] = loginFingerprint(t, key+".pub")
	}
	withAgent := func(name string) *exec.Cmd {
		cmd := c.SSH("-A", "m", "ssh-add -l")
		cmd.Env = append(cmd.Env, "SSH_AUTH_SOCK="+sock[name])
		return cmd
	}
	for _, name := range []string{"A", "B", "A"} {
		res := harness.Run(t, sshTimeout, withAgent(name))
		other := map[string]string{"A": "B", "B": "A"}[name]
		if res.Code != 0 || !strings.Contains(string(res.Stdout), fp[name]) ||
			strings.Contains(string(res.Stdout), fp[other]) || len(res.Stderr) != 0 {
			t.Errorf("ssh -A with agent %s: %s; want its own key %s only, and a clean stderr", name, res, fp[name])
		}
	}
	m := c.MuxMasters(bin)
	if len(m) != 1 || m[0].MuxSessions != 3 {
		t.Errorf("masters %+v; want one whose mux door served the 3 ssh -A", m)
	}
	if got := sshd.Logins(); got != 2 {
		t.Errorf("sshd logins = %d; want 2 (one per agent)", got)
	}
}
