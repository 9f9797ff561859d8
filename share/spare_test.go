package share

import (
	"testing"

	"github.com/sshshare/sshshare/share/sshtest"
	"golang.org/x/crypto/ssh"
)

// TestPoolSpare: with spares on, a session is opened ahead of demand,
// takeSpare hands it out without opening anything upstream, and a new
// spare takes its place.
func TestPoolSpare(t *testing.T) {
	f := newPoolFixture(t, 10, ssh.Prohibited)
	f.pool.spares = true
	srv := f.server(0)
	f.pool.refill()
	if got := srv.live.Load(); got != 1 {
		t.Fatalf("sessions open upstream after Refill: got %d; want 1 (the spare)", got)
	}
	s := f.takeSpare(t)
	sshtest.WaitFor(t, "a new spare after the first was taken", func() bool { return srv.live.Load() == 2 })
	f.end(t, s, srv, 1)
	f.pool.mu.Lock()
	sessions := f.pool.conns[0].sessions
	f.pool.mu.Unlock()
	if sessions != 1 {
		t.Errorf("pool slots held after the session ended: got %d; want 1 (the new spare)", sessions)
	}
}

// TestPoolSpareWithinMaxSessions: a spare never grows the pool, and a full
// connection's last slot goes to a session, not to a spare.
func TestPoolSpareWithinMaxSessions(t *testing.T) {
	f := newPoolFixture(t, 2, ssh.Prohibited)
	f.pool.spares = true
	srv := f.server(0)
	f.pool.refill()
	a := f.takeSpare(t) // takes the spare, refills the second slot
	sshtest.WaitFor(t, "the refill", func() bool { return srv.live.Load() == 2 && f.hasSpare() })
	b := f.takeSpare(t) // takes that one; no slot left for a spare
	f.pool.refill()
	// Either this Refill or the one takeSpare started tries a third session,
	// which the server refuses. Wait for that: landing after a's close
	// below, it would be accepted into a's place.
	sshtest.WaitFor(t, "the refused refill", func() bool { return f.limit(0) == 2 })
	if got, dials := srv.live.Load(), f.dials.Load(); got != 2 || dials != 0 {
		t.Errorf("upstream sessions %d, dials %d; want 2 and 0", got, dials)
	}
	f.end(t, a, srv, 1)
	f.end(t, b, srv, 0)
}

// limit is the session limit the pool has learned for connection i.
func (f *poolFixture) limit(i int) int {
	f.pool.mu.Lock()
	defer f.pool.mu.Unlock()
	return f.pool.conns[i].limit
}

// hasSpare reports whether the pool holds a spare now.
func (f *poolFixture) hasSpare() bool {
	f.pool.mu.Lock()
	defer f.pool.mu.Unlock()
	return f.pool.spare != nil
}

// takeSpare takes the pool's spare, failing the test if there is none.
func (f *poolFixture) takeSpare(t *testing.T) pooledSession {
	t.Helper()
	ch, reqs, release, _, ok := f.pool.takeSpare()
	if !ok {
		t.Fatal("takeSpare: no spare")
	}
	go ssh.DiscardRequests(reqs)
	return pooledSession{ch, release}
}
