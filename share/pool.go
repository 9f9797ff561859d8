package share

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sshshare/sshshare/share/upstream"
	"golang.org/x/crypto/ssh"
)

// slotWait is how long session opens wait for a slot on full upstream
// connections without any slot freeing before the pool logs in once more:
// short commands free their slot within a round trip or two, and while
// slots keep freeing the queue moves and no login is needed.
const slotWait = 300 * time.Millisecond

// sessionWait bounds the whole wait of one session open for a slot.
const sessionWait = 2 * time.Minute

// growRetry is how long the pool waits for slots only, without trying
// another login, after one failed.
const growRetry = 10 * time.Second

// maxRefusals bounds the refused opens one session open retries.
const maxRefusals = 32

// extraLinger is how long an extra pooled connection stays after its last
// session ends.
const extraLinger = 30 * time.Second

// upConn is one pooled upstream connection and its session count.
type upConn struct {
	*upstream.Upstream
	sessions int // slots reserved: sessions open or being opened
	open     int // sessions the server accepted and that are still open
	// limit is the most sessions the server is known to take at once
	// (MaxSessions); 0 until it has refused one. Only ever raised: each
	// count is proven by sessions the server accepted together.
	limit   int
	retired bool // closed for idleness, or replaced by a heal; never handed out again
	idle    *time.Timer
}

// session is an upstream session on u's connection, holding a slot that
// release frees.
func (u *upConn) session(ch ssh.Channel, reqs <-chan *ssh.Request, release func()) upSession {
	return upSession{conn: u.Conn, prio: u.Priority, ch: ch, reqs: reqs, release: release}
}

// full reports whether the connection is known to have no session slot.
func (u *upConn) full() bool { return u.retired || (u.limit > 0 && u.sessions >= u.limit) }

// upPool holds the master's upstream connections. The first is the primary:
// global requests (remote forwards) go there, and when it dies a heal
// replaces it (see heal.go) or the master ends.
// sshd's MaxSessions never surfaces as an error: a session that does not fit
// waits for a slot while slots keep freeing, and gets a further connection
// (one login at a time) when none has freed for slotWait.
type upPool struct {
	dial func(context.Context) (*upstream.Upstream, error)
	// open opens a channel on an upstream; the master watches it (see
	// openWatched). errUpstreamDead from it means: try again.
	open  func(up *upstream.Upstream, chanType string, extra []byte) (ssh.Channel, <-chan *ssh.Request, error)
	serve func(*upConn) // routes the server-opened channels of a connection
	log   *slog.Logger
	// waiting counts the session opens looking for a slot now, for status.
	waiting atomic.Int32
	// life bounds the pool's own logins (see grow): the master's
	// lifetime, not a waiting client's, since every waiter needs them.
	life context.Context

	mu         sync.Mutex
	conns      []*upConn
	changed    chan struct{} // closed and replaced when a slot frees or a connection is added
	growing    bool          // a login for another connection is under way
	growFailed time.Time     // when the last such login failed
	growErr    error         // and why
	spares     bool          // keep a session opened ahead of demand
	spare      *spare        // that session
	filling    bool          // a spare is being opened
	closed     bool
}

// newPool makes a pool whose primary connection is primary.
func newPool(primary *upstream.Upstream, dial func(context.Context) (*upstream.Upstream, error), serve func(*upConn), log *slog.Logger) *upPool {
	p := &upPool{dial: dial, serve: serve, log: log, changed: make(chan struct{}), open: openPlain,
		life: context.Background()}
	p.conns = []*upConn{{Upstream: primary}}
	go serve(p.conns[0])
	return p
}

// openPlain opens a channel with no watchdog.
func openPlain(up *upstream.Upstream, chanType string, extra []byte) (ssh.Channel, <-chan *ssh.Request, error) {
	return up.Conn.OpenChannel(chanType, extra)
}

// primary is the first upstream connection.
func (p *upPool) primary() *upstream.Upstream {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conns[0].Upstream
}

// enginePIDs are the process ids of the pooled connections' engine ssh
// processes (see upstream.Upstream.EnginePID), the primary's first.
func (p *upPool) enginePIDs() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var pids []int
	for _, uc := range p.conns {
		if uc.EnginePID != 0 && !uc.retired {
			pids = append(pids, uc.EnginePID)
		}
	}
	return pids
}

// size is the number of pooled connections.
func (p *upPool) size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// openSessionWhere opens a session on a connection that fits: the first
// with a free slot, else a new one (one more login). It does not wait for
// slots: a login that fails, or failed lately, is the caller's error.
func (p *upPool) openSessionWhere(ctx context.Context, fits func(ssh.Conn) bool) (upSession, error) {
	for range maxRefusals {
		if err := ctx.Err(); err != nil {
			return upSession{}, err
		}
		uc := p.takeWhere(fits)
		if uc == nil {
			var err error
			if uc, err = p.add(); err != nil {
				return upSession{}, err
			}
		}
		ch, reqs, err := p.open(uc.Upstream, "session", nil)
		if err == nil {
			p.opened(uc)
			return uc.session(ch, reqs, func() { p.release(uc) }), nil
		}
		if !p.refused(uc, err) && !errors.Is(err, errUpstreamDead) {
			return upSession{}, fmt.Errorf("open session: %w", err)
		}
	}
	return upSession{}, errors.New("open session: the server keeps refusing sessions")
}

// takeWhere reserves a slot on the first connection that fits and may
// have one, or returns nil.
func (p *upPool) takeWhere(fits func(ssh.Conn) bool) *upConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, uc := range p.conns {
		if !uc.full() && fits(uc.Conn) {
			uc.sessions++
			if uc.idle != nil {
				uc.idle.Stop()
			}
			return uc
		}
	}
	return nil
}

// add logs in once more and adds the connection, with one slot reserved
// for the caller, unless a login failed within growRetry.
func (p *upPool) add() (*upConn, error) {
	p.mu.Lock()
	failed, why := time.Since(p.growFailed) < growRetry, p.growErr
	p.mu.Unlock()
	if failed && why != nil {
		return nil, &growError{err: why, earlier: true}
	}
	up, err := p.dial(p.life)
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.broadcast()
	if err != nil {
		p.growFailed, p.growErr = time.Now(), err
		return nil, &growError{err: err}
	}
	if p.closed {
		up.Conn.Close()
		return nil, errors.New("open another upstream connection: the master is ending")
	}
	return p.addLocked(up), nil
}

// growError is a pooled login that failed, now or, earlier, moments ago
// (then it is not tried again yet).
type growError struct {
	err     error
	earlier bool
}

func (e *growError) Error() string {
	if e.earlier {
		return "another upstream login failed moments ago: " + e.err.Error()
	}
	return "open another upstream connection: " + e.err.Error()
}

func (e *growError) Unwrap() error { return e.err }

// addLocked adds a logged-in connection with one slot reserved. p.mu
// must be held.
func (p *upPool) addLocked(up *upstream.Upstream) *upConn {
	uc := &upConn{Upstream: up, sessions: 1}
	p.conns = append(p.conns, uc)
	p.log.Info("pooled upstream connection added", "connections", len(p.conns))
	go p.serve(uc)
	go p.forget(uc)
	return uc
}

// openSession opens a session channel upstream on a connection with a free
// slot, and tells the connection used. The session's release must be
// called when the channel has closed.
func (p *upPool) openSession(ctx context.Context, extra []byte) (upSession, error) {
	ctx, cancel := context.WithTimeout(ctx, sessionWait)
	defer cancel()
	p.waiting.Add(1)
	defer p.waiting.Add(-1)
	for range maxRefusals {
		uc, err := p.reserve(ctx)
		if err != nil {
			return upSession{}, fmt.Errorf("open session: %w", err)
		}
		ch, reqs, err := p.open(uc.Upstream, "session", extra)
		if err == nil {
			p.opened(uc)
			return uc.session(ch, reqs, func() { p.release(uc) }), nil
		}
		if !p.refused(uc, err) && !errors.Is(err, errUpstreamDead) {
			return upSession{}, err
		}
	}
	return upSession{}, errors.New("open session: the server keeps refusing sessions")
}

// reserve returns a connection with a slot reserved for the caller: one
// with room, after waiting while slots keep freeing, else a new one.
func (p *upPool) reserve(ctx context.Context) (*upConn, error) {
	for {
		uc, changed := p.take()
		if uc != nil {
			return uc, nil
		}
		if !p.waitChange(ctx, changed) {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("no upstream connection has a free session slot: %w", ctx.Err())
			}
			if uc := p.grow(); uc != nil {
				return uc, nil
			}
		}
	}
}

// take reserves a slot on the first connection that may have one, or
// returns the channel that is closed when that may have changed.
func (p *upPool) take() (*upConn, chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.takeLocked(), p.changed
}

// takeLocked reserves a slot on the first connection that may have one, or
// returns nil. p.mu must be held.
func (p *upPool) takeLocked() *upConn {
	for _, uc := range p.conns {
		if !uc.full() {
			uc.sessions++
			if uc.idle != nil {
				uc.idle.Stop()
			}
			return uc
		}
	}
	return nil
}

// waitChange waits up to slotWait for changed to close and reports
// whether it did.
func (p *upPool) waitChange(ctx context.Context, changed chan struct{}) bool {
	t := time.NewTimer(slotWait)
	defer t.Stop()
	select {
	case <-changed:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

// opened counts a session the server accepted; sessions accepted together
// prove the server's limit is at least their number.
func (p *upPool) opened(uc *upConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	uc.open++
	if uc.limit > 0 && uc.open > uc.limit {
		uc.limit = uc.open
	}
}

// refused undoes a reservation after a failed open and reports whether it
// is worth another try: the server refused a session while other sessions
// were open or being opened on that connection, which is how sshd's
// MaxSessions shows (OpenSSH answers "open failed" with reason
// SSH_OPEN_CONNECT_FAILED). The connection counts as full at the sessions
// it holds until one of them closes.
func (p *upPool) refused(uc *upConn, err error) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	uc.sessions--
	var oe *ssh.OpenChannelError
	if !errors.As(err, &oe) || uc.sessions == 0 {
		return false
	}
	if uc.limit == 0 {
		p.log.Info("upstream session limit reached", "sessions", max(uc.open, 1))
	}
	uc.limit = max(uc.limit, uc.open, 1)
	return true
}

// release frees a session slot.
func (p *upPool) release(uc *upConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	uc.sessions--
	uc.open--
	p.broadcast()
	if uc.sessions == 0 && uc != p.conns[0] {
		uc.idle = time.AfterFunc(extraLinger, func() { p.retire(uc) })
	}
}

// broadcast wakes the session opens waiting for a slot. p.mu must be held.
func (p *upPool) broadcast() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// grow logs in once more and adds the connection to the pool, with one
// slot reserved for the caller. A slot that freed, or a connection another
// waiter's login added, since the caller last looked is taken instead: a
// waiter whose wait timed out just as the pool changed must not log in
// again. It returns nil, and the caller waits for a slot again, if another
// login is under way or one failed lately. The login runs under the pool's
// life, not the caller's: other waiters need it too, so one leaving must
// not cut it short.
func (p *upPool) grow() *upConn {
	p.mu.Lock()
	if uc := p.takeLocked(); uc != nil {
		p.mu.Unlock()
		return uc
	}
	if p.growing || time.Since(p.growFailed) < growRetry {
		p.mu.Unlock()
		return nil
	}
	p.growing = true
	p.mu.Unlock()

	up, err := p.dial(p.life)

	p.mu.Lock()
	defer p.mu.Unlock()
	p.growing = false
	defer p.broadcast()
	if err != nil {
		p.growFailed, p.growErr = time.Now(), err
		p.log.Warn("open another upstream connection", "err", err)
		return nil
	}
	return p.addLocked(up)
}

// retire closes an extra connection that has stayed unused.
func (p *upPool) retire(uc *upConn) {
	p.mu.Lock()
	unused := uc.sessions == 0 && !uc.retired
	uc.retired = unused
	p.mu.Unlock()
	if unused {
		uc.Conn.Close()
	}
}

// forget drops an extra connection from the pool once it has closed.
func (p *upPool) forget(uc *upConn) {
	uc.Conn.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	uc.retired = true
	for i, c := range p.conns {
		if c == uc {
			p.conns = append(p.conns[:i], p.conns[i+1:]...)
			break
		}
	}
}

// Close closes every pooled connection.
func (p *upPool) Close() {
	p.mu.Lock()
	conns := append([]*upConn(nil), p.conns...)
	p.closed = true
	p.mu.Unlock()
	for _, uc := range conns {
		uc.Conn.Close()
	}
}
