package integration

import (
	"slices"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestTunnelStatusStop: while a tunnel session runs, `status --json` lists
// the bastion's master in mode "tunnel" with at least one live tunnel and
// the target among its tunnel_targets; `sshshare stop bastion` ends that
// master and the session riding on it, and the next ssh logs in to the
// bastion afresh.
func TestTunnelStatusStop(t *testing.T) {
	e := newTunnelEnv(t)
	live := e.c.SSH(tunnelTarget, "echo started >&2; read line; echo alive")
	if _, err := live.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	p := harness.Start(t, live)
	tunnelWaitStderr(t, p, "started")

	m := e.waitTunnels(t, tunnelBastion, 1, e.targetAddr())
	if m.Mode != "tunnel" {
		t.Errorf("status mode = %q; want \"tunnel\"", m.Mode)
	}
	if m.Via != "" {
		t.Errorf("status via = %q for the first jump host; want \"\"", m.Via)
	}
	if !slices.Contains(m.TunnelTargets, e.targetAddr()) {
		t.Errorf("status tunnel_targets = %q; want it to hold %s", m.TunnelTargets, e.targetAddr())
	}
	if len(e.c.TunnelMasters(e.bin)) != 1 {
		t.Errorf("status lists %+v; want one master", e.c.TunnelMasters(e.bin))
	}

	res := harness.Run(t, sshTimeout, e.c.Command(e.bin, "stop", tunnelBastion))
	if res.Code != 0 {
		t.Fatalf("sshshare stop %s: %s; want exit 0", tunnelBastion, res)
	}
	if !harness.WaitPidGone(m.Pid, 3*time.Second) {
		t.Fatalf("master pid %d still running 3s after sshshare stop %s", m.Pid, tunnelBastion)
	}
	if left := e.c.TunnelMasters(e.bin); len(left) != 0 {
		t.Errorf("status after stop lists %+v; want none", left)
	}
	code := p.Wait(t, sshTimeout)
	t.Logf("session on the stopped master ended with exit %d", code)

	e.mustSSH(t, tunnelTarget, "true")
	if got := e.bastion.Logins(); got != 2 {
		t.Errorf("bastion sshd logins = %d after stop and one more ssh; want 2", got)
	}
}
