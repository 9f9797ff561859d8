//go:build unix

package integration

import (
	"strings"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// pkcs11Env is an sshd that authorizes only a SoftHSM2 token's key, and a
// client with no agent whose Host block uses the token, and whose askpass
// answers the token's PIN.
type pkcs11Env struct {
	token   *harness.Token
	sshd    *harness.SSHD
	c       *harness.Client
	askpass *harness.Askpass
}

// newPKCS11Env makes a token and an sshd that accepts its key only.
func newPKCS11Env(t *testing.T) *pkcs11Env {
	t.Helper()
	fixtureRequire(t, harness.TokenMissing())
	token := harness.NewToken(t)
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	c := harness.NewClient(t, sshd)
	loginWriteFile(t, sshd.AuthorizedKeysPath, token.PublicKey+"\n") // not the client's key
	askpass := harness.NewAskpass(t, harness.AskpassAnswer{Match: "PIN", Answer: token.PIN})
	c.Env = append(c.Env, token.Env()...)
	c.Env = append(c.Env, askpass.Env()...)
	return &pkcs11Env{token: token, sshd: sshd, c: c, askpass: askpass}
}

// hostLines are the Host block lines that use the token, then lines: with
// IdentitiesOnly yes (the harness's default) ssh offers a token key only
// when an IdentityFile names its public key.
func (e *pkcs11Env) hostLines(lines ...string) []string {
	return append(lines, "PKCS11Provider "+harness.SoftHSMProvider, "IdentityFile "+e.token.PublicKeyPath)
}

// check fails t unless sshd recorded n logins, each with the token's key,
// and askpass was asked for the PIN once, or not at all when n is 0.
func (e *pkcs11Env) check(t *testing.T, n int) {
	t.Helper()
	fp := loginFingerprint(t, e.token.PublicKeyPath)
	log := e.sshd.Log()
	if got := strings.Count(log, "Accepted publickey for "+e.sshd.User+" from "); got != n || e.sshd.Logins() != n || n > 0 && !strings.Contains(log, fp) {
		t.Errorf("sshd: %d publickey logins, %d in all; want %d, with the token's key %s\nsshd log:\n%s", got, e.sshd.Logins(), n, fp, log)
	}
	prompts := e.askpass.Prompts()
	switch {
	case n == 0 && len(prompts) != 0:
		t.Errorf("askpass prompts %q; want none", prompts)
	case n > 0 && (len(prompts) != 1 || !strings.Contains(prompts[0], "Enter PIN for '"+e.token.Label+"'")):
		t.Errorf("askpass prompts %q; want one, for the PIN of %s", prompts, e.token.Label)
	}
}

// checkBatch fails t unless res is ssh's refusal under BatchMode yes:
// exit 255 and "Permission denied", with no login and no prompt. (ssh
// says "pin required": it cannot ask.)
func (e *pkcs11Env) checkBatch(t *testing.T, res harness.Result) {
	t.Helper()
	if res.Code != 255 || !strings.Contains(string(res.Stderr), "Permission denied (publickey)") {
		t.Errorf("ssh p11 under BatchMode: %s; want exit 255 and Permission denied", res)
	}
	e.check(t, 0)
}

// TestPKCS11Plain checks the token fixture with plain ssh and no agent:
// the PIN is asked through askpass and the token's key logs in; under
// BatchMode yes nothing is asked and nothing logs in.
func TestPKCS11Plain(t *testing.T) {
	t.Run("pin", func(t *testing.T) {
		e := newPKCS11Env(t)
		e.c.AddHost("p11", e.hostLines("BatchMode no")...)

		res := harness.Run(t, sshTimeout, loginNoTTY(e.c.SSH("p11", "echo", "signed")))

		if res.Code != 0 || string(res.Stdout) != "signed\n" {
			t.Fatalf("ssh p11: %s; want exit 0 and signed\nsshd log:\n%s", res, e.sshd.Log())
		}
		t.Logf("ssh p11: %s", res)
		e.check(t, 1)
	})
	t.Run("batch", func(t *testing.T) {
		e := newPKCS11Env(t)
		e.c.AddHost("p11", e.hostLines()...)

		res := harness.Run(t, sshTimeout, loginNoTTY(e.c.SSH("p11", "echo", "signed")))

		t.Logf("ssh p11: %s", res)
		e.checkBatch(t, res)
	})
}

// TestPKCS11Engine: through sshshare with the OpenSSH engine, the token's
// key logs in with no agent, the PIN asked once, and two ssh share one
// login; under BatchMode yes, as with plain ssh, nothing is asked and
// nothing logs in. The Go engine refuses the token by name
// (TestLoginPKCS11Provider).
func TestPKCS11Engine(t *testing.T) {
	bin := harness.Binary(t)

	t.Run("pin", func(t *testing.T) {
		e := newPKCS11Env(t)
		e.c.Env = append(e.c.Env, engineOpenSSH)
		e.c.AddShareHost("p11", bin, e.hostLines("BatchMode no")...)

		for i := 1; i <= 2; i++ {
			res := harness.Run(t, sshTimeout, loginNoTTY(e.c.SSH("p11", "echo", "signed")))
			if res.Code != 0 || string(res.Stdout) != "signed\n" {
				t.Fatalf("ssh p11 #%d: %s; want exit 0 and signed\nmaster logs:\n%s", i, res, loginMasterLogs(t, e.c, "p11"))
			}
			t.Logf("ssh p11 #%d: %s", i, res)
		}
		e.check(t, 1)
	})
	t.Run("batch", func(t *testing.T) {
		e := newPKCS11Env(t)
		e.c.Env = append(e.c.Env, engineOpenSSH)
		e.c.AddShareHost("p11", bin, e.hostLines()...)

		res := harness.Run(t, sshTimeout, loginNoTTY(e.c.SSH("p11", "echo", "signed")))

		t.Logf("ssh p11: %s", res)
		e.checkBatch(t, res)
	})
}
