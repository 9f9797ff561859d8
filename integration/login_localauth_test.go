//go:build unix

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestLoginPasswordOnlyLocalHop: a Host block that lets ssh use only the
// password method (PreferredAuthentications password, PubkeyAuthentication
// no) still answers the master's password question: the master offers the
// password method on the local hop and uses the answer upstream. Two ssh
// exit 0, askpass is asked once, and sshd logs one login, as with
// ControlMaster.
func TestLoginPasswordOnlyLocalHop(t *testing.T) {
	loginRequireRoot(t, "logs in as a local account with a password (useradd, chpasswd)")
	pw := harness.PasswordUser(t, loginPWUser)
	for _, tc := range []struct {
		name  string
		opts  harness.SSHDOptions
		lines []string
	}{
		{"PreferredAuthentications", loginPasswordSSHDs[0].opts,
			[]string{"PreferredAuthentications password", "PubkeyAuthentication no"}},
		{"KbdInteractiveAuthentication-no", loginPasswordSSHDs[2].opts,
			[]string{"KbdInteractiveAuthentication no"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			askpass := harness.NewAskpass(t, harness.AskpassAnswer{Match: "assword", Answer: pw})
			sshd, c, _ := loginPasswordClient(t, tc.opts, "pwonly", tc.lines...)
			c.Env = append(c.Env, askpass.Env()...)
			c.Env = append(c.Env, "DISPLAY=:0")

			loginRunTrue(t, c, "pwonly", 2)

			t.Logf("askpass runs %d, prompts %q; sshd logins %d", askpass.Calls(), askpass.Prompts(), sshd.Logins())
			if got := askpass.Calls(); got != 1 {
				t.Errorf("askpass called %d times; want 1; prompts %q", got, askpass.Prompts())
			}
			if p := askpass.Prompts(); len(p) > 0 && !strings.Contains(p[0], "password") {
				t.Errorf("askpass prompt %q; want ssh's password prompt", p[0])
			}
			if got := sshd.Logins(); got != 1 {
				t.Errorf("sshd logins = %d; want 1\nsshd log:\n%s", got, sshd.Log())
			}
			loginAssertNoSecret(t, c.Home, pw)
		})
	}
}

// TestLoginPasswordOnlyLocalHopPassphrase: with KbdInteractiveAuthentication
// no the local ssh can answer only password questions; the master's
// passphrase question for an encrypted key cannot be put through the
// password method, so the login is refused with one sshshare: line naming
// the setting and a hint, and nothing logs in.
func TestLoginPasswordOnlyLocalHopPassphrase(t *testing.T) {
	const passphrase = "open sesame 42"
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	c := harness.NewClient(t, sshd)
	key := filepath.Join(c.Home, ".ssh", "id_encrypted")
	loginWriteFile(t, sshd.AuthorizedKeysPath, loginNewKey(t, key, passphrase)+"\n")
	askpass := harness.NewAskpass(t, harness.AskpassAnswer{Match: "passphrase", Answer: passphrase},
		harness.AskpassAnswer{Match: "password", Answer: passphrase})
	c.Env = append(c.Env, askpass.Env()...)
	c.AddShareHost("enc", harness.Binary(t), "IdentityFile "+key, "BatchMode no", "KbdInteractiveAuthentication no")

	res := harness.Run(t, sshTimeout, loginNoTTY(c.SSH("enc", "true")))

	t.Logf("ssh enc true: exit %d; stderr %q; askpass prompts %q", res.Code, res.Stderr, askpass.Prompts())
	if res.Code != 255 {
		t.Errorf("exit %d; want 255", res.Code)
	}
	lines := loginSSHShareLines(res.Stderr)
	if len(lines) < 2 || !strings.Contains(lines[0], "only the password method") || !strings.Contains(lines[1], "hint: allow keyboard-interactive") {
		t.Errorf("stderr %q; want an sshshare: line naming the setting and a hint", res.Stderr)
	}
	if got := sshd.Logins(); got != 0 {
		t.Errorf("sshd logins = %d; want 0", got)
	}
}

// TestLoginPasswordOnlyLocalHopRetry: through the password method a wrong
// password is refused upstream and ssh asks again ("Permission denied,
// please try again."), as plain ssh does; the second, right one logs in
// once.
func TestLoginPasswordOnlyLocalHopRetry(t *testing.T) {
	loginRequireRoot(t, "logs in as a local account with a password (useradd, chpasswd)")
	pw := harness.PasswordUser(t, loginPWUser)
	sshd, c, _ := loginPasswordClient(t, loginPasswordSSHDs[2].opts, "pwonly",
		"PreferredAuthentications password", "PubkeyAuthentication no")
	dir := t.TempDir()
	askpass := filepath.Join(dir, "askpass")
	count := filepath.Join(dir, "count")
	script := "#!/bin/sh\necho x >> " + count + "\nif [ $(wc -l < " + count + ") -eq 1 ]; then echo wrong-password; else echo '" + pw + "'; fi\n"
	if err := os.WriteFile(askpass, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	c.Env = append(c.Env, "SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0")

	res := harness.Run(t, sshTimeout, loginNoTTY(c.SSH("pwonly", "true")))

	runs := strings.Count(loginReadFile(count), "x")
	t.Logf("ssh pwonly true: exit %d; askpass runs %d; stderr %q; sshd logins %d", res.Code, runs, res.Stderr, sshd.Logins())
	if res.Code != 0 {
		t.Fatalf("exit %d; want 0\nmaster logs:\n%s", res.Code, loginMasterLogs(t, c, "pwonly"))
	}
	if runs != 2 {
		t.Errorf("askpass ran %d times; want 2 (wrong, then right)", runs)
	}
	if !strings.Contains(string(res.Stderr), "Permission denied, please try again.") {
		t.Errorf("stderr %q; want ssh's own retry line", res.Stderr)
	}
	if got := sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d; want 1", got)
	}
}
