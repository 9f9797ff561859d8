package integration

import (
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// shareConcurrentTimeout bounds a batch of simultaneous ssh runs on a loaded
// two-core machine.
const shareConcurrentTimeout = 60 * time.Second

// TestShareColdConcurrent: 30 ssh started at once with no master running
// all succeed silently, and make one master and one login between them.
func TestShareColdConcurrent(t *testing.T) {
	e := newShareEnv(t, harness.SSHDOptions{})
	const n = 30
	start := time.Now()
	procs := e.startSSHs(t, n, "true")
	failed := shareWaitAll(t, procs)
	t.Logf("%d cold ssh in %v", n, time.Since(start).Round(time.Millisecond))
	if failed > 0 {
		t.Errorf("%d of %d simultaneous cold ssh failed; want 0", failed, n)
	}
	if got := e.sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d after %d simultaneous cold ssh; want 1", got, n)
	}
	if ms := e.c.Masters(e.bin); len(ms) != 1 {
		t.Errorf("sshshare status: %d masters; want 1", len(ms))
	}
}

// TestShareMaxSessions: 15 concurrent sessions against sshd's MaxSessions
// 10 all succeed; the master opens at most one more (pooled) connection.
func TestShareMaxSessions(t *testing.T) {
	e := newShareEnv(t, harness.SSHDOptions{MaxSessions: 10})
	e.mustSSH(t, "true")
	const n = 15
	start := time.Now()
	procs := e.startSSHs(t, n, "sleep 2")
	failed := shareWaitAll(t, procs)
	m := e.master(t)
	t.Logf("%d concurrent sleep 2 in %v; %d logins, master upstreams %d",
		n, time.Since(start).Round(time.Millisecond), e.sshd.Logins(), m.Upstreams)
	if failed > 0 {
		t.Errorf("%d of %d concurrent sessions failed with MaxSessions 10; want 0", failed, n)
	}
	if got := e.sshd.Logins(); got > 2 {
		t.Errorf("sshd logins = %d; want at most 2 (the master and one pooled connection)\nmaster log:\n%s",
			got, shareMasterLog(m))
	}
}

// startSSHs starts n `ssh shareHost cmd` at once.
func (e *shareEnv) startSSHs(t *testing.T, n int, cmd string) []*harness.Proc {
	t.Helper()
	procs := make([]*harness.Proc, n)
	for i := range procs {
		procs[i] = harness.Start(t, e.c.SSH(shareHost, cmd))
	}
	return procs
}

// shareWaitAll waits for every process and returns how many did not exit 0
// with an empty stderr, reporting each.
func shareWaitAll(t *testing.T, procs []*harness.Proc) int {
	t.Helper()
	deadline := time.Now().Add(shareConcurrentTimeout)
	failed := 0
	for i, p := range procs {
		code := p.Wait(t, max(time.Until(deadline), time.Millisecond))
		if code != 0 || p.Stderr() != "" {
			failed++
			t.Errorf("ssh #%d: exit %d, stderr %q; want exit 0 and no stderr", i, code, p.Stderr())
		}
	}
	return failed
}
