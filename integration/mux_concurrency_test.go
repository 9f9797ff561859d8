package integration

import (
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestMuxMaxSessions: 15 concurrent sessions through the mux door against
// sshd's MaxSessions 10 all print their output and exit 0 with nothing on
// stderr: the door pools past MaxSessions as the ProxyCommand door does,
// and serves every one of them itself.
func TestMuxMaxSessions(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{MaxSessions: 10})
	before := e.warm(t)
	const n = 15
	start := time.Now()
	procs := e.startSSHs(t, n, "sleep 1; echo ok")
	failed := shareWaitAll(t, procs)
	for i, p := range procs {
		if got := p.Stdout(); got != "ok\n" {
			failed++
			t.Errorf("ssh #%d: stdout %q; want %q", i, got, "ok\n")
		}
	}
	m := e.muxMaster(t)
	t.Logf("%d concurrent sessions in %v; %d logins", n, time.Since(start).Round(time.Millisecond), e.sshd.Logins())
	if failed > 0 {
		t.Errorf("%d of %d concurrent sessions failed with MaxSessions 10; want 0", failed, n)
	}
	e.wantServed(t, before, n, "concurrent sessions")
	if got := e.sshd.Logins(); got > 2 {
		t.Errorf("sshd logins = %d; want at most 2 (the master and one pooled connection), master pid %d", got, m.Pid)
	}
}
