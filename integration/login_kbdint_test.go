//go:build unix

package integration

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestLoginKbdInteractiveTwoRounds: a login that asks a password, then a
// one-time code in a second round (MFA), works through sshshare with both
// rounds answered by askpass once; the rounds' name and instruction reach
// the user; later ssh ask nothing. sshd cannot script a second round
// without root and a PAM module, so an in-process server asks them.
func TestLoginKbdInteractiveTwoRounds(t *testing.T) {
	const (
		password = "correct horse"
		code     = "424242"
		stdout   = "kbd-server says hi\n"
	)
	rounds := []harness.KbdRound{
		{Name: "Corp SSO", Instruction: "Step 1 of 2: your directory password.",
			Prompts: []string{"Password: "}, Echos: []bool{false}, Answers: []string{password}},
		{Name: "Corp MFA", Instruction: "Step 2 of 2: the code from your token.",
			Prompts: []string{"Verification code: "}, Echos: []bool{true}, Answers: []string{code}},
	}
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	c := harness.NewClient(t, sshd)
	srv := harness.StartKbdServer(t, harness.KbdServerOptions{
		HostKey: sshd.HostSigner(t), User: sshd.User, Rounds: rounds, Stdout: stdout,
	})
	askpass := harness.NewAskpass(t,
		harness.AskpassAnswer{Match: "Password: ", Answer: password},
		harness.AskpassAnswer{Match: "Verification code: ", Answer: code})
	c.Env = append(c.Env, askpass.Env()...)
	bin := harness.Binary(t)
	c.AddShareHost("mfa", bin, "Port "+strconv.Itoa(srv.Port), "BatchMode no")

	for i := range 3 {
		res := harness.Run(t, sshTimeout, loginNoTTY(c.SSH("mfa", "some-command")))
		if res.Code != 0 || string(res.Stdout) != stdout {
			t.Fatalf("ssh mfa some-command (#%d): %s; want exit 0, stdout %q\nmaster logs:\n%s",
				i+1, res, stdout, loginMasterLogs(t, c, "mfa"))
		}
		if i == 0 {
			// ssh shows a round's name and instruction before its prompts.
			for _, r := range rounds {
				for _, want := range []string{r.Name, r.Instruction} {
					if !strings.Contains(string(res.Stderr), want) {
						t.Errorf("first ssh stderr %q lacks %q; want each round's name and instruction shown", res.Stderr, want)
					}
				}
			}
		}
		t.Logf("ssh mfa #%d: %v", i+1, res.Elapsed.Round(time.Millisecond))
	}

	prompts := askpass.Prompts()
	if len(prompts) != 2 || !strings.Contains(prompts[0], "Password: ") || !strings.Contains(prompts[1], "Verification code: ") {
		t.Errorf("askpass prompts %q; want a password prompt then a code prompt", prompts)
	}
	if got := srv.Logins(); got != 1 {
		t.Errorf("server logins = %d; want 1", got)
	}
	if got := srv.Failures(); got != 0 {
		t.Errorf("server saw %d wrong answers; want 0", got)
	}
	if got, want := srv.Commands(), []string{"some-command", "some-command", "some-command"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("server ran %q; want %q", got, want)
	}
	loginAssertNoSecret(t, c.Home, password)
	loginAssertNoSecret(t, c.Home, code)
}

// TestLoginAuthenticationMethodsChain: sshd demands a key and then a
// password through PAM keyboard-interactive (AuthenticationMethods
// publickey,keyboard-interactive). The master follows the partial success
// and relays the PAM question once.
func TestLoginAuthenticationMethodsChain(t *testing.T) {
	loginRequireRoot(t, "logs in as a local account with a password, through PAM")
	pw := harness.PasswordUser(t, loginPWUser)
	key := filepath.Join(t.TempDir(), "id_chain")
	pub := loginNewKey(t, key, "")
	keys := loginAuthorizedKeys(t, pub)
	sshd := harness.StartSSHD(t, harness.SSHDOptions{UsePAM: true, Extra: strings.Join([]string{
		"AuthorizedKeysFile " + keys,
		"KbdInteractiveAuthentication yes",
		"AuthenticationMethods publickey,keyboard-interactive",
	}, "\n")})
	c := harness.NewClient(t, sshd)
	askpass := harness.NewAskpass(t, harness.AskpassAnswer{Match: "assword", Answer: pw})
	c.Env = append(c.Env, askpass.Env()...)
	bin := harness.Binary(t)
	c.AddShareHost("chain", bin, "User "+loginPWUser, "IdentityFile "+key, "BatchMode no")

	loginRunTrue(t, c, "chain", 3)

	if got := askpass.Calls(); got != 1 {
		t.Errorf("askpass called %d times; want 1; prompts %q", got, askpass.Prompts())
	}
	log := sshd.Log()
	for _, want := range []string{
		"Partial publickey for " + loginPWUser,
		"Accepted keyboard-interactive/pam for " + loginPWUser,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("sshd log lacks %q; want the key, then the password\nsshd log:\n%s", want, log)
		}
	}
	if got := sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d; want 1\nsshd log:\n%s", got, log)
	}
}
