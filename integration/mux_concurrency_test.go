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

// TestMuxColdMany: 15 ssh started at once with no master, through a mux
// host, all succeed silently on one login, whether they found no mux
// socket yet or the one the new master published while they started.
func TestMuxColdMany(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{MaxSessions: 30})
	const n = 15
	start := time.Now()
	procs := e.startSSHs(t, n, "echo ok")
	failed := shareWaitAll(t, procs)
	for i, p := range procs {
		if got := p.Stdout(); got != "ok\n" {
			failed++
			t.Errorf("ssh #%d: stdout %q; want %q", i, got, "ok\n")
		}
	}
	e.waitPublished(t)
	t.Logf("%d cold ssh in %v, %d of them through the mux door", n, time.Since(start).Round(time.Millisecond), e.served(t))
	if failed > 0 {
		t.Errorf("%d of %d simultaneous cold ssh failed; want 0", failed, n)
	}
	if got := e.sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d after %d simultaneous cold ssh; want 1", got, n)
	}
	before := e.served(t)
	e.mustSSH(t, "true")
	e.wantServed(t, before, 1, "the ssh after them")
}
