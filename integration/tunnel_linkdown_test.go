package integration

import (
	"strconv"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// tunnelRecoverWithin bounds how long the first ssh after the bastion link
// died may take: the design's "the next ssh works within seconds".
const tunnelRecoverWithin = 10 * time.Second

// TestTunnelBastionLinkDies: the master's connection to the bastion goes
// silent (a relay black-holes it, as a network change would). The next
// ssh to the target must work within seconds on a fresh bastion login —
// the master heals itself, or a fresh master takes over — whether it
// comes once the silence is noticeable or at once.
func TestTunnelBastionLinkDies(t *testing.T) {
	t.Run("after silence", func(t *testing.T) {
		e, relay := newTunnelRelayEnv(t)
		old := e.master(t, tunnelBastion)
		relay.BlackHole()
		e.waitSilent(t, 1500*time.Millisecond)
		e.checkRecovers(t, old)
	})
	t.Run("at once", func(t *testing.T) {
		e, relay := newTunnelRelayEnv(t)
		old := e.master(t, tunnelBastion)
		relay.BlackHole()
		e.checkRecovers(t, old)
	})
}

// newTunnelRelayEnv is a tunnelEnv whose bastion Host block goes through a
// relay, with the master already up and one ssh done through it.
func newTunnelRelayEnv(t *testing.T) (*tunnelEnv, *harness.Relay) {
	t.Helper()
	e := &tunnelEnv{
		bastion: harness.StartSSHD(t, harness.SSHDOptions{}),
		target:  harness.StartSSHD(t, harness.SSHDOptions{}),
		bin:     harness.Binary(t),
	}
	relay := harness.NewRelay(t, e.bastion.Addr(), 0)
	e.c = harness.NewClient(t, e.bastion)
	e.c.AddSSHD(e.target)
	e.c.AddHost(tunnelBastion, "Port "+strconv.Itoa(relay.Port()))
	e.addTunnel(tunnelTarget, tunnelBastion, e.target.Port)
	e.mustSSH(t, tunnelTarget, "true")
	return e, relay
}

// waitSilent polls status until the bastion master has heard nothing from
// its upstream for at least d.
func (e *tunnelEnv) waitSilent(t *testing.T, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := e.master(t, tunnelBastion)
		if m.SilentSeconds >= d.Seconds() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("status upstream_silent_seconds = %.1f after 10s of black hole; want >= %.1f", m.SilentSeconds, d.Seconds())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkRecovers runs ssh to the target and checks that it works within
// tunnelRecoverWithin with a second bastion login, and that the old master
// either healed (status counts it) or is gone.
func (e *tunnelEnv) checkRecovers(t *testing.T, old harness.TunnelStatus) {
	t.Helper()
	res := harness.Run(t, 3*tunnelRecoverWithin, e.c.SSH(tunnelTarget, "echo", "ok"))
	t.Logf("ssh after the bastion link died: exit %d after %v", res.Code, res.Elapsed.Round(time.Millisecond))
	if res.Code != 0 || string(res.Stdout) != "ok\n" {
		t.Fatalf("ssh target echo ok after the bastion link died: %s; want exit 0, \"ok\\n\"\nmaster logs:\n%s", res, e.c.MasterLogs())
	}
	if res.Elapsed > tunnelRecoverWithin {
		t.Errorf("ssh after the bastion link died took %v; want <= %v", res.Elapsed, tunnelRecoverWithin)
	}
	if now := e.master(t, tunnelBastion); now.Pid == old.Pid && now.Healed < 1 {
		t.Errorf("master pid %d still serving with healed = %d; want it healed or replaced", now.Pid, now.Healed)
	} else if now.Pid != old.Pid && !harness.WaitPidGone(old.Pid, 5*time.Second) {
		t.Errorf("old master pid %d still running next to new pid %d", old.Pid, now.Pid)
	}
	if got := e.bastion.Logins(); got != 2 {
		t.Errorf("bastion sshd logins = %d; want 2 (the dead master's and the fresh one's)", got)
	}
}
