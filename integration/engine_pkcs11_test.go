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

// hostLines are the Host block lines that use the token: with
// IdentitiesOnly yes (the harness's default) ssh offers a token key only
// when an IdentityFile names its public key.
func (e *pkcs11Env) hostLines() []string {
	return []string{"PKCS11Provider " + harness.SoftHSMProvider, "IdentityFile " + e.token.PublicKeyPath, "BatchMode no"}
}

// check fails t unless sshd recorded n logins, each with the token's key,
// and askpass was asked for the PIN once.
func (e *pkcs11Env) check(t *testing.T, n int) {
	t.Helper()
	fp := loginFingerprint(t, e.token.PublicKeyPath)
	if got := strings.Count(e.sshd.Log(), "Accepted publickey for "+e.sshd.User+" from "); got != n || e.sshd.Logins() != n || !strings.Contains(e.sshd.Log(), fp) {
		t.Errorf("sshd: %d publickey logins, %d in all; want %d, with the token's key %s\nsshd log:\n%s", got, e.sshd.Logins(), n, fp, e.sshd.Log())
	}
	prompts := e.askpass.Prompts()
	if len(prompts) != 1 || !strings.Contains(prompts[0], "Enter PIN for '"+e.token.Label+"'") {
		t.Errorf("askpass prompts %q; want one, for the PIN of %s", prompts, e.token.Label)
	}
}

// TestPKCS11Plain checks the token fixture with plain ssh and no agent:
// the PIN is asked through askpass and the token's key logs in.
func TestPKCS11Plain(t *testing.T) {
	e := newPKCS11Env(t)
	e.c.AddHost("p11", e.hostLines()...)

	res := harness.Run(t, sshTimeout, loginNoTTY(e.c.SSH("p11", "echo", "signed")))

	if res.Code != 0 || string(res.Stdout) != "signed\n" {
		t.Fatalf("ssh p11: %s; want exit 0 and signed\nsshd log:\n%s", res, e.sshd.Log())
	}
	t.Logf("ssh p11: %s", res)
	e.check(t, 1)
}

// TestPKCS11Engine: through sshshare with the OpenSSH engine, the token's
// key logs in with no agent, the PIN asked once, and two ssh share one
// login. The Go engine refuses it by name (TestLoginPKCS11Provider).
func TestPKCS11Engine(t *testing.T) {
	bin := harness.Binary(t)
	e := newPKCS11Env(t)
	e.c.Env = append(e.c.Env, engineOpenSSH)
	e.c.AddShareHost("p11", bin, e.hostLines()...)

	for i := 1; i <= 2; i++ {
		res := harness.Run(t, sshTimeout, loginNoTTY(e.c.SSH("p11", "echo", "signed")))
		if res.Code != 0 || string(res.Stdout) != "signed\n" {
			t.Fatalf("ssh p11 #%d: %s; want exit 0 and signed\nmaster logs:\n%s", i, res, loginMasterLogs(t, e.c, "p11"))
		}
		t.Logf("ssh p11 #%d: %s", i, res)
	}
	e.check(t, 1)
}
