package integration

import (
	"strconv"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// muxHealWithin bounds the first ssh after the master's upstream
// connection went silent or was dropped, as TestLifecycleNetworkChange
// bounds it for the ProxyCommand door.
const muxHealWithin = 8 * time.Second

// TestMuxHeal: when the master's upstream connection goes silent (a
// network change) or is dropped, the next ssh through a mux host still
// succeeds within 8 s, silently, whether the master heals in place or a
// fresh master takes over; afterwards one master serves the mux socket and
// the next ssh rides its door. Two trials per case.
func TestMuxHeal(t *testing.T) {
	for _, tc := range []struct {
		name    string
		breakUp func(r *harness.Relay)
	}{
		{"silent", (*harness.Relay).BlackHole},
		{"dropped", (*harness.Relay).Cut},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sshd := muxStartSSHD(t, harness.SSHDOptions{})
			relay := harness.NewRelay(t, sshd.Addr(), 0)
			e := muxEnvFor(t, sshd, "Port "+strconv.Itoa(relay.Port()))
			e.warm(t)
			for trial := range 2 {
				old := e.muxMaster(t)
				tc.breakUp(relay)
				res := e.ssh(t, "echo", "back")
				if res.Code != 0 || string(res.Stdout) != "back\n" || len(res.Stderr) != 0 || res.Elapsed > muxHealWithin {
					t.Fatalf("trial %d: first ssh after the upstream was %s: %s; want exit 0, stdout %q, no stderr, within %v",
						trial, tc.name, res, "back\n", muxHealWithin)
				}
				t.Logf("trial %d: first ssh after the upstream was %s took %v", trial, tc.name, res.Elapsed.Round(time.Millisecond))
				e.waitPublished(t)
				if m := e.muxMaster(t); m.Pid != old.Pid && !harness.WaitPidGone(old.Pid, 5*time.Second) {
					t.Errorf("trial %d: master pid %d with the %s upstream still runs 5s after pid %d took over", trial, old.Pid, tc.name, m.Pid)
				}
				before := e.served(t)
				e.mustSSH(t, "true")
				e.wantServed(t, before, 1, "the ssh after the heal")
			}
		})
	}
}
