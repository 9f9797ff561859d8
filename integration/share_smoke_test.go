package integration

import (
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestShareSmoke: two ssh through sshshare make one login.
func TestShareSmoke(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	c := harness.NewClient(t, sshd)
	bin := harness.Binary(t)
	c.AddShareHost("h", bin)
	for i := 0; i < 3; i++ {
		res := harness.Run(t, sshTimeout, c.SSH("h", "echo", "hi"))
		if res.Code != 0 || string(res.Stdout) != "hi\n" {
			t.Fatalf("ssh h echo hi: %s", res)
		}
	}
	if got := sshd.Logins(); got != 1 {
		t.Errorf("logins = %d; want 1", got)
	}
	if m := c.Masters(bin); len(m) != 1 {
		t.Errorf("masters = %+v; want 1", m)
	}
}
