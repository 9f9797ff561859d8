package integration

import (
	"strings"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestShareClientAlgorithms: an ssh whose Ciphers, KexAlgorithms and MACs
// leave out every algorithm the local hop prefers (AES-GCM, curve25519,
// P-256) works through sshshare as it does without it, on one login.
func TestShareClientAlgorithms(t *testing.T) {
	e := newShareEnv(t, harness.SSHDOptions{})
	for _, opts := range [][]string{
		{"-o", "Ciphers=aes128-ctr", "-o", "KexAlgorithms=diffie-hellman-group16-sha512", "-o", "MACs=hmac-sha2-256"},
		{"-o", "Ciphers=chacha20-poly1305@openssh.com", "-o", "MACs=hmac-sha2-512-etm@openssh.com"},
		{"-o", "Ciphers=aes128-cbc", "-o", "KexAlgorithms=diffie-hellman-group14-sha256"},
	} {
		args := append(append([]string{}, opts...), shareHost, "echo", "ok")
		res := harness.Run(t, sshTimeout, e.c.SSH(args...))
		if res.Code != 0 || string(res.Stdout) != "ok\n" {
			t.Errorf("ssh %s: %s; want exit 0 and %q", strings.Join(opts, " "), res, "ok\n")
		}
	}
	if got := e.sshd.Logins(); got != 1 {
		t.Errorf("sshd logins: %d; want 1", got)
	}
}
