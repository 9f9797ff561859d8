package share

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// slotWait is how long a session open waits for a slot on a full upstream
// connection before the pool logs in once more: short commands free their
// slot within a round trip or two.
const slotWait = 300 * time.Millisecond

// extraLinger is how long an extra pooled connection stays after its last
// session ends.
const extraLinger = 30 * time.Second

// upConn is one pooled upstream connection and its session count.
type upConn struct {
	*Upstream
	sessions int
	limit    int // sessions at which sshd refused one more (MaxSessions); 0: not hit yet
	idle     *time.Timer
}

// full reports whether the connection is known to have no session slot.
func (u *upConn) full() bool { return u.limit > 0 && u.sessions >= u.limit }

// Pool holds the master's upstream connections. The first is the primary:
// global requests (remote forwards) go there and its loss ends the master.
// sshd's MaxSessions never surfaces as an error: a session that does not fit
// waits briefly for a slot, then gets a further connection.
type Pool struct {
	dial  func(context.Context) (*Upstream, error)
	serve func(*upConn) // routes the server-opened channels of a connection
	log   *slog.Logger

	mu    sync.Mutex
	conns []*upConn
	freed chan struct{} // closed and replaced whenever a slot frees
}

// newPool makes a pool whose primary connection is primary.
func newPool(primary *Upstream, dial func(context.Context) (*Upstream, error), serve func(*upConn), log *slog.Logger) *Pool {
	p := &Pool{dial: dial, serve: serve, log: log, freed: make(chan struct{})}
	p.conns = []*upConn{{Upstream: primary}}
	go serve(p.conns[0])
	return p
}

// Primary is the first upstream connection.
func (p *Pool) Primary() *Upstream {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conns[0].Upstream
}

// Size is the number of pooled connections.
func (p *Pool) Size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// OpenSession opens a session channel upstream on a connection with a free
// slot. release must be called when the channel has closed.
func (p *Pool) OpenSession(ctx context.Context, extra []byte) (ssh.Channel, <-chan *ssh.Request, func(), error) {
	deadline := time.Now().Add(slotWait)
	for attempt := 0; attempt < 8; attempt++ {
		uc, freed := p.take()
		if uc == nil && time.Now().Before(deadline) {
			p.waitSlot(ctx, freed, deadline)
			continue
		}
		if uc == nil {
			var err error
			if uc, err = p.grow(ctx); err != nil {
				return nil, nil, nil, err
			}
		}
		ch, reqs, err := uc.Conn.OpenChannel("session", extra)
		if err == nil {
			return ch, reqs, func() { p.release(uc) }, nil
		}
		if !p.refused(uc, err) {
			return nil, nil, nil, err
		}
	}
	return nil, nil, nil, fmt.Errorf("open session: no upstream connection has a free session slot")
}

// take reserves a slot on the first connection that may have one.
func (p *Pool) take() (*upConn, chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, uc := range p.conns {
		if !uc.full() {
			uc.sessions++
			if uc.idle != nil {
				uc.idle.Stop()
			}
			return uc, nil
		}
	}
	return nil, p.freed
}

// waitSlot waits until a slot frees, ctx ends or the deadline passes.
func (p *Pool) waitSlot(ctx context.Context, freed chan struct{}, deadline time.Time) {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-freed:
	case <-t.C:
	case <-ctx.Done():
	}
}

// refused undoes a reservation after a failed open and reports whether the
// failure was sshd's MaxSessions ("administratively prohibited"), which
// marks the connection full at its current count.
func (p *Pool) refused(uc *upConn, err error) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	uc.sessions--
	var oe *ssh.OpenChannelError
	if !errors.As(err, &oe) || oe.Reason != ssh.Prohibited {
		return false
	}
	uc.limit = max(uc.sessions, 1)
	p.log.Info("upstream session limit reached", "sessions", uc.sessions)
	return true
}

// release frees a session slot.
func (p *Pool) release(uc *upConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	uc.sessions--
	close(p.freed)
	p.freed = make(chan struct{})
	if uc.sessions == 0 && uc != p.conns[0] {
		uc.idle = time.AfterFunc(extraLinger, func() { p.retire(uc) })
	}
}

// grow logs in once more and adds the connection to the pool, with one
// slot reserved for the caller.
func (p *Pool) grow(ctx context.Context) (*upConn, error) {
	up, err := p.dial(ctx)
	if err != nil {
		return nil, fmt.Errorf("open another upstream connection: %w", err)
	}
	uc := &upConn{Upstream: up, sessions: 1}
	p.mu.Lock()
	p.conns = append(p.conns, uc)
	n := len(p.conns)
	p.mu.Unlock()
	p.log.Info("pooled upstream connection added", "connections", n)
	go p.serve(uc)
	go p.forget(uc)
	return uc, nil
}

// retire closes an extra connection that has stayed unused.
func (p *Pool) retire(uc *upConn) {
	p.mu.Lock()
	unused := uc.sessions == 0
	p.mu.Unlock()
	if unused {
		uc.Conn.Close()
	}
}

// forget drops an extra connection from the pool once it has closed.
func (p *Pool) forget(uc *upConn) {
	uc.Conn.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, c := range p.conns {
		if c == uc {
			p.conns = append(p.conns[:i], p.conns[i+1:]...)
			break
		}
	}
}

// Close closes every pooled connection.
func (p *Pool) Close() {
	p.mu.Lock()
	conns := append([]*upConn(nil), p.conns...)
	p.mu.Unlock()
	for _, uc := range conns {
		uc.Conn.Close()
	}
}
