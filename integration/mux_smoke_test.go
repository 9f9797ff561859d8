package integration

import (
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestMuxSmoke: the first ssh starts the master through the ProxyCommand
// (no mux socket yet: ssh says nothing), the next ones ride the mux door:
// one login, the door counts their sessions, exit codes and output as
// plain ssh gives them.
func TestMuxSmoke(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	c := harness.NewClient(t, sshd)
	bin := harness.Binary(t)
	c.AddMuxHost("h", bin)
	for i := 0; i < 3; i++ {
		res := harness.Run(t, sshTimeout, c.SSH("h", "echo", "hi"))
		if res.Code != 0 || string(res.Stdout) != "hi\n" || len(res.Stderr) != 0 {
			t.Fatalf("ssh h echo hi (run %d): %s", i, res)
		}
	}
	res := harness.Run(t, sshTimeout, c.SSH("h", "echo out; echo err >&2; exit 44"))
	if res.Code != 44 || string(res.Stdout) != "out\n" || string(res.Stderr) != "err\n" {
		t.Errorf("ssh h 'echo out; echo err >&2; exit 44': %s", res)
	}
	if got := sshd.Logins(); got != 1 {
		t.Errorf("logins = %d; want 1", got)
	}
	m := c.MuxMasters(bin)
	if len(m) != 1 || m[0].MuxSocket == "" || m[0].MuxSessions != 3 {
		t.Errorf("masters = %+v; want 1 with a mux socket and 3 mux sessions", m)
	}
}
