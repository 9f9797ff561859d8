package share

import (
	"time"

	"golang.org/x/crypto/ssh"
)

// A spare is a session channel opened upstream ahead of demand. OpenSSH's
// ControlMaster needs two round trips for a warm `ssh host cmd` (open a
// session, then exec); handing the client a channel that is already open
// leaves one. The pool keeps one spare on a connection with a free slot
// (never growing the pool for it), refills it after each use, and drops it
// when it has gone unused for spareIdle.

// spareIdle is how long an unused spare is kept.
const spareIdle = time.Minute

// spare is one pre-opened session channel and the slot it holds.
type spare struct {
	ch   ssh.Channel
	reqs <-chan *ssh.Request
	uc   *upConn
}

// usable reports whether the spare's channel and connection are still
// good: not retired, and the server has not closed or used the channel.
func (s *spare) usable() bool {
	if s.uc.retired {
		return false
	}
	select {
	case <-s.reqs:
		return false // closed, or a request nobody asked for
	default:
		return true
	}
}

// takeSpare hands out the pool's spare session, if it keeps one.
func (m *Master) takeSpare() (upSession, bool) {
	if !m.pool.spares {
		return upSession{}, false
	}
	ch, reqs, release, uc, ok := m.pool.takeSpare()
	if !ok {
		return upSession{}, false
	}
	return uc.session(ch, reqs, release), true
}

// takeSpare hands out the spare, if there is a usable one, and starts a
// refill either way.
func (p *upPool) takeSpare() (ssh.Channel, <-chan *ssh.Request, func(), *upConn, bool) {
	p.mu.Lock()
	s := p.spare
	p.spare = nil
	ok := s != nil && s.usable()
	p.mu.Unlock()
	go p.refill()
	switch {
	case ok:
		return s.ch, s.reqs, func() { p.release(s.uc) }, s.uc, true
	case s != nil:
		p.discard(s)
	}
	return nil, nil, nil, nil, false
}

// refill opens a spare if there is none and a slot is free.
func (p *upPool) refill() {
	p.mu.Lock()
	if !p.spares || p.spare != nil || p.filling || p.closed {
		p.mu.Unlock()
		return
	}
	p.filling = true
	p.mu.Unlock()
	s := p.openSpare()
	p.mu.Lock()
	p.filling = false
	if s != nil && !p.closed && p.spare == nil {
		p.spare = s
		s = nil
	}
	p.mu.Unlock()
	if s != nil {
		p.discard(s)
	}
}

// openSpare opens a session on a connection with a free slot, without
// waiting or growing the pool.
func (p *upPool) openSpare() *spare {
	uc, _ := p.take()
	if uc == nil {
		return nil
	}
	ch, reqs, err := p.open(uc.Upstream, "session", nil)
	if err != nil {
		p.refused(uc, err)
		return nil
	}
	p.opened(uc)
	s := &spare{ch: ch, reqs: reqs, uc: uc}
	time.AfterFunc(spareIdle, func() { p.dropSpare(s) })
	return s
}

// dropSpare discards s if it is still the unused spare.
func (p *upPool) dropSpare(s *spare) {
	p.mu.Lock()
	mine := p.spare == s
	if mine {
		p.spare = nil
	}
	p.mu.Unlock()
	if mine {
		p.discard(s)
	}
}

// discard closes a spare's channel and frees its slot.
func (p *upPool) discard(s *spare) {
	s.ch.Close()
	p.release(s.uc)
}
