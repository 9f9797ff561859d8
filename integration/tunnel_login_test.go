package integration

import (
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestTunnelOneBastionLogin: 10 simultaneous cold `ssh target true` and 5
// more one after another all succeed through one master; the bastion's
// sshd records exactly 1 login and the target's 15, since ssh logs in to
// the target end to end every time.
func TestTunnelOneBastionLogin(t *testing.T) {
	const concurrent, sequential = 10, 5
	e := newTunnelEnv(t)

	start := time.Now()
	procs := make([]*harness.Proc, concurrent)
	for i := range procs {
		procs[i] = harness.Start(t, e.c.SSH(tunnelTarget, "true"))
	}
	for i, p := range procs {
		if code := p.Wait(t, sshTimeout); code != 0 {
			t.Errorf("cold ssh target true #%d: exit %d; want 0\nstderr:\n%s", i+1, code, p.Stderr())
		}
	}
	t.Logf("%d simultaneous cold ssh target true: %v", concurrent, time.Since(start).Round(time.Millisecond))
	if t.Failed() {
		t.Fatalf("master logs:\n%s", e.c.MasterLogs())
	}
	for i := range sequential {
		res := e.mustSSH(t, tunnelTarget, "true")
		t.Logf("warm ssh target true #%d: %v", i+1, res.Elapsed.Round(time.Millisecond))
	}

	if got := e.bastion.Logins(); got != 1 {
		t.Errorf("bastion sshd logins = %d; want 1\nbastion log:\n%s", got, e.bastion.Log())
	}
	if got := e.target.Logins(); got != concurrent+sequential {
		t.Errorf("target sshd logins = %d; want %d", got, concurrent+sequential)
	}
	if pids := e.c.MasterPids(); len(pids) != 1 {
		t.Errorf("master processes = %v; want exactly 1", pids)
	}
	m := e.master(t, tunnelBastion)
	if m.Mode != "tunnel" {
		t.Errorf("master mode = %q; want \"tunnel\"", m.Mode)
	}
}
