package share

import (
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/sshtest"
)

// TestSpareResumesOnDeadUpstream: a client's session is handed the spare
// on a connection that has silently died; its first request goes
// unanswered, the connection then drops, and the master heals, opens a
// fresh session and replays the request there. The client sees its
// session work.
func TestSpareResumesOnDeadUpstream(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	c := f.share(t)
	sshtest.WaitFor(t, "the spare session", f.spareReady)
	up0 := srv.conn(t, 0)
	up0.holdRequests.Store(true)

	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	setenv := make(chan error, 1)
	go func() { setenv <- s.Setenv("A", "1") }()
	if got := sshtest.RecvWithin(t, srv.held, 5*time.Second, "the request on the spare"); got != "env" {
		t.Fatalf("request held on the spare: got %q; want env", got)
	}
	up0.kill()
	if err := sshtest.RecvWithin(t, setenv, 5*time.Second, "setenv"); err != nil {
		t.Fatalf("setenv on the resumed session: %v", err)
	}
	if out, err := s.Output("env"); err != nil || string(out) != "A=1\n" {
		t.Errorf("env on the resumed session: got %q, %v; want \"A=1\\n\"", out, err)
	}
	if got := srv.logins.Load(); got != 2 {
		t.Errorf("upstream logins: got %d; want 2", got)
	}
	if got := f.m.Status().Healed; got != 1 {
		t.Errorf("status healed: got %d; want 1", got)
	}
}

// TestClosedSpareIsNotHandedOut: a spare the server has closed meanwhile
// is dropped, and the client's session is opened afresh.
func TestClosedSpareIsNotHandedOut(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	c := f.share(t)
	sshtest.WaitFor(t, "the spare session", f.spareReady)
	up0 := srv.conn(t, 0)
	up0.closeIdleSessions()
	sshtest.WaitFor(t, "the master to see its spare closed", func() bool {
		p := f.m.pool
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.spare != nil && !p.spare.usable()
	})

	mustRun(t, c, "fresh", "fresh\n")
	if got := up0.sessions.Load(); got < 2 {
		t.Errorf("sessions opened upstream: got %d; want the spare and a fresh one", got)
	}
	if got := srv.logins.Load(); got != 1 {
		t.Errorf("upstream logins: got %d; want 1 (nothing to heal)", got)
	}
}
