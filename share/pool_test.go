package share

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/sshtest"
	"github.com/sshshare/sshshare/share/upstream"
	"golang.org/x/crypto/ssh"
)

// limitedServer is an in-process sshd stand-in that, like sshd's
// MaxSessions, refuses a session channel beyond max open ones with
// "administratively prohibited".
type limitedServer struct {
	max    int32
	reason ssh.RejectionReason
	live   atomic.Int32 // open sessions
	side   sshtest.Side
}

// serve accepts session channels up to the limit until the connection ends.
func (s *limitedServer) serve() {
	go ssh.DiscardRequests(s.side.Reqs)
	for nch := range s.side.Chans {
		if s.live.Load() >= s.max {
			nch.Reject(s.reason, "open failed")
			continue
		}
		s.live.Add(1) // before Accept: counted by the time the client hears of it
		ch, reqs, err := nch.Accept()
		if err != nil {
			s.live.Add(-1)
			continue
		}
		go func() {
			ssh.DiscardRequests(reqs)
			s.live.Add(-1)
			ch.Close()
		}()
	}
}

// newLimitedUpstream connects to a new limitedServer allowing max sessions.
func newLimitedUpstream(t *testing.T, max int32, reason ssh.RejectionReason) (*upstream.Upstream, *limitedServer) {
	t.Helper()
	client, server := sshtest.SSHPair(t)
	s := &limitedServer{max: max, reason: reason, side: server}
	go s.serve()
	return &upstream.Upstream{Conn: client.Conn, Chans: client.Chans, Reqs: client.Reqs}, s
}

// poolFixture is a pool over limitedServers that counts its dials.
type poolFixture struct {
	pool    *upPool
	dials   atomic.Int32
	mu      sync.Mutex
	servers []*limitedServer // servers[0] is the primary's
}

func newPoolFixture(t *testing.T, max int32, reason ssh.RejectionReason) *poolFixture {
	t.Helper()
	f := &poolFixture{}
	primary, s := newLimitedUpstream(t, max, reason)
	f.servers = []*limitedServer{s}
	dial := func(context.Context) (*upstream.Upstream, error) {
		f.dials.Add(1)
		up, s := newLimitedUpstream(t, max, reason)
		f.mu.Lock()
		f.servers = append(f.servers, s)
		f.mu.Unlock()
		return up, nil
	}
	serve := func(uc *upConn) {
		go ssh.DiscardRequests(uc.Reqs)
		for nch := range uc.Chans {
			nch.Reject(ssh.UnknownChannelType, "not in this test")
		}
	}
	f.pool = newPool(primary, dial, serve, sshtest.DiscardLogger())
	t.Cleanup(f.pool.Close)
	return f
}

// server returns the i'th server dialled (0: the primary's).
func (f *poolFixture) server(i int) *limitedServer {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.servers[i]
}

// pooledSession is a session opened through the pool.
type pooledSession struct {
	ch      ssh.Channel
	release func()
}

// open opens a session through the pool, failing the test on error.
func (f *poolFixture) open(t *testing.T) pooledSession {
	t.Helper()
	s, err := f.pool.openSession(context.Background(), nil)
	if err != nil {
		t.Fatalf("OpenSession: %v", err)
	}
	go ssh.DiscardRequests(s.reqs)
	return pooledSession{s.ch, s.release}
}

// end closes a session, waits for its server to count it gone (as sshd
// frees a MaxSessions slot), and releases its pool slot.
func (f *poolFixture) end(t *testing.T, s pooledSession, srv *limitedServer, want int32) {
	t.Helper()
	s.ch.Close()
	sshtest.WaitFor(t, "the server to free the session", func() bool { return srv.live.Load() == want })
	s.release()
}

// TestPoolGrowsPastMaxSessions: sshd refuses a session past MaxSessions
// with "administratively prohibited" (OpenSSH before 8.x) or "connect
// failed" (later); either way the pool opens another connection.
func TestPoolGrowsPastMaxSessions(t *testing.T) {
	for _, reason := range []ssh.RejectionReason{ssh.Prohibited, ssh.ConnectionFailed} {
		t.Run(reason.String(), func(t *testing.T) {
			f := newPoolFixture(t, 2, reason)
			s1 := f.open(t)
			f.open(t)
			if got := f.dials.Load(); got != 0 {
				t.Fatalf("dials after 2 sessions: got %d; want 0", got)
			}
			if got := f.server(0).live.Load(); got != 2 {
				t.Fatalf("primary sessions: got %d; want 2", got)
			}

			start := time.Now()
			f.open(t)
			if got := f.dials.Load(); got != 1 {
				t.Fatalf("dials after the 3rd session: got %d; want 1", got)
			}
			if d := time.Since(start); d < slotWait {
				t.Errorf("grew after %v; want a wait of slotWait (%v) for a free slot first", d, slotWait)
			}
			if got := f.pool.size(); got != 2 {
				t.Errorf("Size: got %d; want 2", got)
			}
			if got := f.server(1).live.Load(); got != 1 {
				t.Errorf("second connection's sessions: got %d; want 1", got)
			}

			// A released slot on the primary is used before anything else.
			f.end(t, s1, f.server(0), 1)
			f.open(t)
			if got := f.dials.Load(); got != 1 {
				t.Errorf("dials after a slot was released: got %d; want 1", got)
			}
			if got := f.server(0).live.Load(); got != 2 {
				t.Errorf("primary sessions after reuse: got %d; want 2", got)
			}
			if got := f.server(1).live.Load(); got != 1 {
				t.Errorf("second connection's sessions after reuse: got %d; want 1", got)
			}
		})
	}
}

// openAsync opens a session through the pool in the background.
func (f *poolFixture) openAsync(ctx context.Context) <-chan error {
	opened := make(chan error, 1)
	go func() {
		s, err := f.pool.openSession(ctx, nil)
		if err == nil {
			go ssh.DiscardRequests(s.reqs)
		}
		opened <- err
	}()
	return opened
}

// learnedLimit reports whether the pool has learnt that the primary
// connection holds limit sessions: a refused open is then waiting.
func (f *poolFixture) learnedLimit(limit int) func() bool {
	return func() bool {
		f.pool.mu.Lock()
		defer f.pool.mu.Unlock()
		return f.pool.conns[0].limit == limit
	}
}

func TestPoolWaitsForFreedSlot(t *testing.T) {
	f := newPoolFixture(t, 2, ssh.Prohibited)
	s1 := f.open(t)
	f.open(t)

	opened := f.openAsync(context.Background())
	sshtest.WaitFor(t, "the pool to learn the session limit", f.learnedLimit(2))
	f.end(t, s1, f.server(0), 1)

	if err := sshtest.RecvWithin(t, opened, 5*time.Second, "the waiting OpenSession"); err != nil {
		t.Fatalf("OpenSession: %v", err)
	}
	if got := f.dials.Load(); got != 0 {
		t.Errorf("dials: got %d; want 0 (the freed slot should be used)", got)
	}
	if got := f.pool.size(); got != 1 {
		t.Errorf("Size: got %d; want 1", got)
	}
	if got := f.server(0).live.Load(); got != 2 {
		t.Errorf("primary sessions: got %d; want 2", got)
	}
}

// TestPoolGrowTakesRoomFirst: a waiter whose slot wait timed out just as
// another waiter's login added a connection (the timer and the broadcast
// racing) takes a slot on that connection instead of logging in again.
// Seen in CI: 15 sessions against MaxSessions 10 made 3 logins.
func TestPoolGrowTakesRoomFirst(t *testing.T) {
	f := newPoolFixture(t, 1, ssh.Prohibited)
	f.open(t)
	s2 := f.open(t)
	if got := f.dials.Load(); got != 1 {
		t.Fatalf("dials after 2 sessions with MaxSessions 1: got %d; want 1", got)
	}
	f.end(t, s2, f.server(1), 0)
	uc := f.pool.grow()
	f.pool.mu.Lock()
	second := f.pool.conns[1]
	f.pool.mu.Unlock()
	if uc == nil || uc != second {
		t.Fatalf("grow: got %v; want the second connection, which has a free slot", uc)
	}
	if got := f.dials.Load(); got != 1 {
		t.Errorf("dials after grow with a free slot: got %d; want 1", got)
	}
}

func TestPoolForgetsClosedExtraConnection(t *testing.T) {
	f := newPoolFixture(t, 1, ssh.Prohibited)
	f.open(t)
	f.open(t)
	if got := f.pool.size(); got != 2 {
		t.Fatalf("Size: got %d; want 2", got)
	}
	f.server(1).side.Conn.Close()
	sshtest.WaitFor(t, "the closed connection to leave the pool", func() bool { return f.pool.size() == 1 })
	if f.pool.primary() == nil {
		t.Error("Primary: got nil")
	}
}

// TestPoolFirstSessionRefused: a refusal with no other session open on the
// connection is no session limit, and is returned as it is.
func TestPoolFirstSessionRefused(t *testing.T) {
	f := newPoolFixture(t, 0, ssh.ResourceShortage)
	_, err := f.pool.openSession(context.Background(), nil)
	var oe *ssh.OpenChannelError
	if !errors.As(err, &oe) || oe.Reason != ssh.ResourceShortage {
		t.Fatalf("got %v; want the server's resource shortage refusal", err)
	}
	if got := f.dials.Load(); got != 0 {
		t.Errorf("dials: got %d; want 0", got)
	}
	f.pool.mu.Lock()
	sessions := f.pool.conns[0].sessions
	f.pool.mu.Unlock()
	if sessions != 0 {
		t.Errorf("reserved sessions after the refusal: got %d; want 0", sessions)
	}
}

// TestPoolDialFailure: when another login fails, a session open keeps
// waiting for a slot (without logging in again at once) until its context
// ends, and takes a slot that frees meanwhile.
func TestPoolDialFailure(t *testing.T) {
	primary, srv := newLimitedUpstream(t, 1, ssh.Prohibited)
	var dials atomic.Int32
	dial := func(context.Context) (*upstream.Upstream, error) {
		dials.Add(1)
		return nil, errors.New("boom")
	}
	p := newPool(primary, dial, func(*upConn) {}, sshtest.DiscardLogger())
	t.Cleanup(p.Close)
	f := &poolFixture{pool: p, servers: []*limitedServer{srv}}
	s1 := f.open(t)

	t.Run("context ends", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), slotWait+500*time.Millisecond)
		defer cancel()
		_, err := p.openSession(ctx, nil)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no upstream connection has a free session slot") {
			t.Errorf("got %v; want no free session slot, context deadline exceeded", err)
		}
		if got := dials.Load(); got != 1 {
			t.Errorf("dials: got %d; want 1", got)
		}
	})

	t.Run("slot frees", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		opened := f.openAsync(ctx)
		f.end(t, s1, srv, 0)
		if err := sshtest.RecvWithin(t, opened, 5*time.Second, "the waiting OpenSession"); err != nil {
			t.Errorf("OpenSession: %v", err)
		}
		if got := dials.Load(); got != 1 {
			t.Errorf("dials: got %d; want 1 (no login retried within growRetry)", got)
		}
	})
}
