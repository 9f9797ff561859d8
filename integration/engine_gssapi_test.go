//go:build unix

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// engineOpenSSH is the environment that has sshshare run the user's own
// ssh as the master's upstream (issue 21's --engine openssh).
const engineOpenSSH = harness.EngineEnv + "=openssh"

// fixtureRequire skips t when missing (a harness ...Missing error) is not
// nil, outside CI; in CI a missing tool fails the test.
func fixtureRequire(t *testing.T, missing error) {
	t.Helper()
	if missing == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%v (in CI, .ci/deps installs it)", missing)
	}
	t.Skipf("%v", missing)
}

// gssapiEnv is an sshd that takes only gssapi-with-mic logins of a test
// realm, and a client with a ticket for the sshd's user.
type gssapiEnv struct {
	kdc       *harness.KDC
	sshd      *harness.SSHD
	c         *harness.Client
	principal string // "user@SSHSHARE.TEST"
}

// newGSSAPIEnv starts a KDC and a Kerberos sshd, and logs the client in
// to the realm. AuthenticationMethods gssapi-with-mic: a key cannot log
// in, so every login the sshd records is a Kerberos one.
func newGSSAPIEnv(t *testing.T) *gssapiEnv {
	t.Helper()
	fixtureRequire(t, harness.KDCMissing())
	kdc := harness.StartKDC(t)
	sshd := harness.StartSSHD(t, kdc.ServeSSHD(harness.SSHDOptions{Extra: "AuthenticationMethods gssapi-with-mic"}))
	c := harness.NewClient(t, sshd)
	return &gssapiEnv{kdc: kdc, sshd: sshd, c: c, principal: kdc.LoginClient(c)}
}

// gssapiTarget is what the tests run on the target: the delegated ticket
// cache (klist -f: "f" in its flags is a forwarded ticket), and whether
// the harness's Kerberos environment leaked into the session.
const gssapiTarget = `klist -f; echo "KRB5_CONFIG=[$KRB5_CONFIG] KRB5_KTNAME=[$KRB5_KTNAME]"`

// checkDelegated fails t unless stdout, the output of gssapiTarget, shows
// a delegated (forwarded) ticket-granting ticket of e.principal and no
// leaked variable.
func (e *gssapiEnv) checkDelegated(t *testing.T, stdout []byte) {
	t.Helper()
	out := string(stdout)
	tgt := "krbtgt/" + e.kdc.Realm + "@" + e.kdc.Realm
	if !strings.Contains(out, "Default principal: "+e.principal) || !strings.Contains(out, tgt) {
		t.Errorf("target's klist:\n%s\nwant a cache of %s holding %s", out, e.principal, tgt)
	}
	if flags := gssapiFlags(out, tgt); !strings.Contains(flags, "f") {
		t.Errorf("flags of %s: %q; want f (forwarded): the ticket was not delegated\n%s", tgt, flags, out)
	}
	if !strings.Contains(out, "KRB5_CONFIG=[] KRB5_KTNAME=[]") {
		t.Errorf("target's environment: %q; want KRB5_CONFIG and KRB5_KTNAME empty", out)
	}
}

// gssapiFlags returns the flags klist -f shows for the ticket of service
// (on the line after it: "\tFlags: Ff"), or "".
func gssapiFlags(klist, service string) string {
	_, after, ok := strings.Cut(klist, service+"\n")
	line, _, _ := strings.Cut(after, "\n")
	flags, found := strings.CutPrefix(strings.TrimSpace(line), "Flags: ")
	if !ok || !found {
		return ""
	}
	return flags
}

// checkSSHDLog fails t unless sshd's log records n gssapi-with-mic logins
// of e.principal and no other login.
func (e *gssapiEnv) checkSSHDLog(t *testing.T, n int) {
	t.Helper()
	log := e.sshd.Log()
	authorized := "Authorized to " + e.sshd.User + ", krb5 principal " + e.principal
	accepted := "Accepted gssapi-with-mic for " + e.sshd.User
	if strings.Count(log, authorized) != n || strings.Count(log, accepted) != n || e.sshd.Logins() != n {
		t.Errorf("sshd log has %d %q, %d %q, %d logins; want %d of each\nsshd log:\n%s",
			strings.Count(log, authorized), authorized, strings.Count(log, accepted), accepted, e.sshd.Logins(), n, log)
	}
}

// TestGSSAPIPlain checks the Kerberos fixture with plain ssh: it logs in
// with its ticket and no key, and GSSAPIDelegateCredentials yes leaves a
// forwarded ticket on the target. The service ticket ssh asks the KDC for
// is host/<HostName as written>: no DNS, no canonicalisation. With no
// ticket, ssh fails with Permission denied.
func TestGSSAPIPlain(t *testing.T) {
	for _, tc := range []struct {
		name, line, service string
	}{
		{"ip", "", "host/127.0.0.1"},
		{"name", "HostName localhost", "host/localhost"},
		{"identity", "GSSAPIServerIdentity localhost", "host/localhost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newGSSAPIEnv(t)
			e.c.AddHost("krb", "GSSAPIAuthentication yes", "GSSAPIDelegateCredentials yes", tc.line)

			res := harness.Run(t, sshTimeout, loginNoTTY(e.c.SSH("krb", gssapiTarget)))

			if res.Code != 0 {
				t.Fatalf("ssh krb: %s\nsshd log:\n%s\nkdc log:\n%s", res, e.sshd.Log(), e.kdc.Log())
			}
			t.Logf("ssh krb: %s", res)
			e.checkDelegated(t, res.Stdout)
			e.checkSSHDLog(t, 1)
			if want := e.principal + " for " + tc.service + "@" + e.kdc.Realm; !strings.Contains(e.kdc.Log(), want) {
				t.Errorf("kdc log has no ticket %q\nkdc log:\n%s", want, e.kdc.Log())
			}
		})
	}
	t.Run("no-ticket", func(t *testing.T) {
		e := newGSSAPIEnv(t)
		e.c.Env = append(e.c.Env, gssapiNoTicket(t))
		e.c.AddHost("krb", "GSSAPIAuthentication yes")

		res := harness.Run(t, sshTimeout, loginNoTTY(e.c.SSH("krb", "true")))

		t.Logf("ssh krb: %s", res)
		e.checkRefused(t, res)
	})
}

// gssapiNoTicket is a KRB5CCNAME naming a ticket cache that does not
// exist; it comes after LoginClient's in the client's Env, and wins.
func gssapiNoTicket(t *testing.T) string {
	return "KRB5CCNAME=FILE:" + filepath.Join(t.TempDir(), "none")
}

// checkRefused fails t unless res is ssh's failure with no ticket (exit
// 255, Permission denied) and sshd recorded no login.
func (e *gssapiEnv) checkRefused(t *testing.T, res harness.Result) {
	t.Helper()
	if res.Code != 255 || !strings.Contains(string(res.Stderr), "Permission denied (gssapi-with-mic)") {
		t.Errorf("ssh krb with no ticket: %s; want exit 255 and Permission denied (gssapi-with-mic), as plain ssh", res)
	}
	e.checkSSHDLog(t, 0)
}

// TestGSSAPIEngine: through sshshare with the OpenSSH engine, a Kerberos
// login works as with plain ssh, ticket delegated, and two ssh share one
// login; with no ticket, it fails as plain ssh does (exit 255, Permission
// denied), at once. The Go engine refuses it by name (TestLoginGSSAPI).
func TestGSSAPIEngine(t *testing.T) {
	bin := harness.Binary(t)

	t.Run("ticket", func(t *testing.T) {
		e := newGSSAPIEnv(t)
		e.c.Env = append(e.c.Env, engineOpenSSH)
		e.c.AddShareHost("krb", bin, "GSSAPIAuthentication yes", "GSSAPIDelegateCredentials yes")

		for i := 1; i <= 2; i++ {
			res := harness.Run(t, sshTimeout, loginNoTTY(e.c.SSH("krb", gssapiTarget)))
			if res.Code != 0 {
				t.Fatalf("ssh krb #%d: %s; want exit 0\nmaster logs:\n%s", i, res, loginMasterLogs(t, e.c, "krb"))
			}
			t.Logf("ssh krb #%d: %s", i, res)
			e.checkDelegated(t, res.Stdout)
		}
		e.checkSSHDLog(t, 1)
	})
	t.Run("no-ticket", func(t *testing.T) {
		e := newGSSAPIEnv(t)
		e.c.Env = append(e.c.Env, engineOpenSSH, gssapiNoTicket(t))
		e.c.AddShareHost("krb", bin, "GSSAPIAuthentication yes")

		res := harness.Run(t, sshTimeout, loginNoTTY(e.c.SSH("krb", "true")))

		t.Logf("ssh krb: %s", res)
		e.checkRefused(t, res)
	})
}
