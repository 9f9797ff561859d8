//go:build unix

package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// loginPasswordSSHDs are the real sshd set-ups that take a password: through
// PAM as the password method, through PAM as keyboard-interactive (what
// most distributions ship), and /etc/shadow without PAM.
var loginPasswordSSHDs = []struct {
	name string
	opts harness.SSHDOptions
}{
	{"pam-password", harness.SSHDOptions{UsePAM: true, Extra: "PasswordAuthentication yes"}},
	{"pam-kbdint", harness.SSHDOptions{UsePAM: true, Extra: "KbdInteractiveAuthentication yes"}},
	{"shadow-password", harness.SSHDOptions{Extra: "PasswordAuthentication yes"}},
}

// loginPasswordClient starts sshd with opts and a client for loginPWUser
// that has no key at all, with a share-mode Host block alias (BatchMode
// no) and the given extra lines.
func loginPasswordClient(t *testing.T, opts harness.SSHDOptions, alias string, lines ...string) (*harness.SSHD, *harness.Client, string) {
	t.Helper()
	sshd := harness.StartSSHD(t, opts)
	c := harness.NewClient(t, sshd)
	loginRemoveKey(t, c)
	bin := harness.Binary(t)
	c.AddShareHost(alias, bin, append([]string{"User " + loginPWUser, "BatchMode no"}, lines...)...)
	return sshd, c, bin
}

// TestLoginPasswordAskpass is the seed's promise: a user with a password
// and no keys, no terminal, SSH_ASKPASS answering. Six ssh through sshshare
// all succeed, the password is asked once, and sshd sees one login.
func TestLoginPasswordAskpass(t *testing.T) {
	loginRequireRoot(t, "logs in as a local account with a password (useradd, chpasswd)")
	pw := harness.PasswordUser(t, loginPWUser)
	for _, tc := range loginPasswordSSHDs {
		t.Run(tc.name, func(t *testing.T) {
			askpass := harness.NewAskpass(t, harness.AskpassAnswer{Match: "assword", Answer: pw})
			sshd, c, _ := loginPasswordClient(t, tc.opts, "pw")
			c.Env = append(c.Env, askpass.Env()...)

			loginRunTrue(t, c, "pw", 6)

			if got := askpass.Calls(); got != 1 {
				t.Errorf("askpass called %d times; want 1; prompts %q", got, askpass.Prompts())
			}
			if p := askpass.Prompts(); len(p) > 0 && !strings.Contains(strings.ToLower(p[0]), "password") {
				t.Errorf("askpass prompt %q; want a password prompt", p[0])
			}
			if got := sshd.Logins(); got != 1 {
				t.Errorf("sshd logins = %d; want 1\nsshd log:\n%s", got, sshd.Log())
			}
			loginAssertNoSecret(t, c.Home, pw)
		})
	}
}

// TestLoginPasswordTerminal: the same through a real terminal (tmux). The
// prompt is shown in the terminal, the typed password is not echoed, and
// the second ssh asks nothing.
func TestLoginPasswordTerminal(t *testing.T) {
	loginRequireRoot(t, "logs in as a local account with a password (useradd, chpasswd)")
	pw := harness.PasswordUser(t, loginPWUser)
	sshd, c, _ := loginPasswordClient(t, loginPasswordSSHDs[0].opts, "pw")
	tm := harness.StartTmux(t, c)
	ssh := "ssh -F " + c.ConfigPath + " pw true"
	tm.NewSession("login", 200, 50, ssh+`; echo "first-exit=$?"; `+ssh+`; echo "second-exit=$?"`)

	pane := loginWaitPane(t, tm, "login", "password:", 20*time.Second)
	t.Logf("pane at the prompt:\n%s", pane)
	tm.Type("login", pw)
	pane = loginWaitPane(t, tm, "login", "second-exit=", 30*time.Second)
	t.Logf("pane at the end:\n%s", pane)

	for _, want := range []string{"first-exit=0", "second-exit=0"} {
		if !strings.Contains(pane, want) {
			t.Errorf("pane has no %q; want both ssh to exit 0\nmaster logs:\n%s", want, loginMasterLogs(t, c, "pw"))
		}
	}
	if strings.Contains(pane, pw) {
		t.Errorf("pane shows the typed password; want it not echoed")
	}
	if got := strings.Count(strings.ToLower(pane), "password:"); got != 1 {
		t.Errorf("pane shows %d password prompts; want 1 (the second ssh asks nothing)", got)
	}
	if got := sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d; want 1\nsshd log:\n%s", got, sshd.Log())
	}
	loginAssertNoSecret(t, c.Home, pw)
}

// loginWaitPane polls the tmux pane until its text, lowercased, contains want
// (lowercase), and returns the text.
func loginWaitPane(t *testing.T, tm *harness.Tmux, name, want string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		pane := tm.Capture(name)
		if strings.Contains(strings.ToLower(pane), want) {
			return pane
		}
		if time.Now().After(deadline) {
			t.Fatalf("tmux pane: no %q after %v; pane:\n%s", want, timeout, pane)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
