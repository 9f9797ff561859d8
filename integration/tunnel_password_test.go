//go:build unix

package integration

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// tunnelPWUser is the local account the bastion asks a password of; see
// harness.PasswordUser (root's own password is never touched).
const tunnelPWUser = "sshshare-pw"

// TestTunnelBastionPassword: a bastion that takes only a password. Five
// simultaneous cold ssh to the target, with no terminal and SSH_ASKPASS
// answering, all succeed: the bastion's password is asked once, by the
// master's login, and the target (key login, end to end) sees five logins.
func TestTunnelBastionPassword(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: logs in to the bastion as a local account with a password (useradd, chpasswd)")
	}
	const n = 5
	pw := harness.PasswordUser(t, tunnelPWUser)
	e := newTunnelEnvWith(t, harness.SSHDOptions{Extra: "PasswordAuthentication yes"},
		"User "+tunnelPWUser, "PubkeyAuthentication no", "BatchMode no")
	askpass := harness.NewAskpass(t, harness.AskpassAnswer{Match: "assword", Answer: pw})
	e.c.Env = append(e.c.Env, askpass.Env()...)

	procs := make([]*harness.Proc, n)
	for i := range procs {
		procs[i] = harness.Start(t, tunnelNoTTY(e.c.SSH(tunnelTarget, "true")))
	}
	for i, p := range procs {
		if code := p.Wait(t, sshTimeout); code != 0 {
			t.Errorf("cold ssh target true #%d: exit %d; want 0\nstderr:\n%s", i+1, code, p.Stderr())
		}
	}
	if t.Failed() {
		t.Fatalf("master logs:\n%s", e.c.MasterLogs())
	}
	if got := askpass.Calls(); got != 1 {
		t.Errorf("askpass called %d times; want 1; prompts %q", got, askpass.Prompts())
	}
	if p := askpass.Prompts(); len(p) > 0 && !strings.Contains(strings.ToLower(p[0]), "password") {
		t.Errorf("askpass prompt %q; want a password prompt", p[0])
	}
	if got := e.bastion.Logins(); got != 1 {
		t.Errorf("bastion sshd logins = %d; want 1\nbastion log:\n%s", got, e.bastion.Log())
	}
	if got := e.target.Logins(); got != n {
		t.Errorf("target sshd logins = %d; want %d", got, n)
	}
}

// tunnelNoTTY makes cmd run in a new session with stdin from /dev/null,
// as from a script: neither ssh nor sshshare can open /dev/tty.
func tunnelNoTTY(cmd *exec.Cmd) *exec.Cmd {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Stdin = nil
	return cmd
}
