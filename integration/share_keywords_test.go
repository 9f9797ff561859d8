package integration

import (
	"strings"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestShareWarnedKeyword: a keyword the Go engine does not apply upstream
// (Compression yes) costs nothing but one line on the stderr of the ssh
// that started the master; later ssh say nothing more. (auto would take
// the OpenSSH engine for it: engine_test.go.)
func TestShareWarnedKeyword(t *testing.T) {
	e := newShareEnv(t, harness.SSHDOptions{})
	e.c.Env = append(e.c.Env, harness.EngineEnv+"=go")
	const alias = "compressed"
	e.c.AddShareHost(alias, e.bin, "Compression yes")
	res := harness.Run(t, sshTimeout, e.c.SSH(alias, "echo", "ok"))
	lines := strings.Split(strings.TrimSpace(string(res.Stderr)), "\n")
	if res.Code != 0 || string(res.Stdout) != "ok\n" {
		t.Fatalf("ssh %s echo ok: %s; want exit 0 and %q", alias, res, "ok\n")
	}
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "sshshare: Compression yes is not applied upstream") {
		t.Errorf("stderr of the first ssh: %q; want one line saying Compression is not applied upstream", res.Stderr)
	}
	res = harness.Run(t, sshTimeout, e.c.SSH(alias, "true"))
	if res.Code != 0 || len(res.Stderr) != 0 {
		t.Errorf("second ssh: %s; want exit 0 and no stderr", res)
	}
}

// TestShareRefusedKeyword: a keyword whose value the Go engine cannot
// honour (HostbasedAuthentication yes) stops it before any login, with one
// line naming the keyword and a hint, exit 255 as ssh's own failures.
func TestShareRefusedKeyword(t *testing.T) {
	e := newShareEnv(t, harness.SSHDOptions{})
	e.c.Env = append(e.c.Env, harness.EngineEnv+"=go")
	const alias = "hostbased"
	e.c.AddShareHost(alias, e.bin, "HostbasedAuthentication yes")
	res := harness.Run(t, sshTimeout, e.c.SSH(alias, "true"))
	stderr := string(res.Stderr)
	if res.Code != 255 {
		t.Errorf("exit %d; want 255 (%s)", res.Code, res)
	}
	if !strings.Contains(stderr, "sshshare: HostbasedAuthentication yes: not supported") || !strings.Contains(stderr, "sshshare: hint: ") {
		t.Errorf("stderr %q; want a line naming HostbasedAuthentication and a hint", stderr)
	}
	if got := e.sshd.Logins(); got != 0 {
		t.Errorf("sshd logins: %d; want 0", got)
	}
}
