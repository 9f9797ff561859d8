package share

import (
	"errors"
	"time"

	"github.com/sshshare/sshshare/share/upstream"
	"golang.org/x/crypto/ssh"
)

// Terminals and bulk transfers on separate connections.
//
// Every channel of one SSH connection shares its TCP stream. A download
// keeps as much data in flight as the channel's window allows (2 MB with
// x/crypto, which credits the window back every 96 KB read), so a
// terminal's echo queues behind up to that much data, in the server's
// socket and in the master's: measured during `cat /dev/zero`, 0.4-1.1 MB
// waited in the master's receive queue, and the echo's p95 went from
// 0.7 to 5.7 ms. ControlMaster has the same queue.
//
// So once a terminal session of the mux door is live on a connection, the
// pool logs in once more in the background, as pooled connections do:
// without asking anything, so only where the login needs no answer. From
// then on, sessions without a terminal (and the spare they take) prefer a
// connection that carries no terminal, and terminal sessions one that
// carries terminals. A login that would need a prompt is not tried again;
// everything then shares one connection, as before. The extra connection
// goes, as any pooled one, once it has been unused for extraLinger.

// quietLogin is the state of the pool's login for sessions without a
// terminal.
type quietLogin struct {
	dialing bool      // under way
	failed  time.Time // when the last one failed
	never   bool      // the login needs an answer: it is not tried again
}

// terminalOpened counts a terminal session on conn and, when no
// connection is left without one, starts a login for the sessions that
// have none.
func (p *upPool) terminalOpened(conn ssh.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	uc := p.findLocked(conn)
	if uc == nil {
		return
	}
	uc.ttys++
	if p.quietConnLocked() != nil || !p.quietDueLocked() {
		return
	}
	p.quiet.dialing = true
	go p.addQuiet()
}

// terminalClosed uncounts a terminal session on conn.
func (p *upPool) terminalClosed(conn ssh.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if uc := p.findLocked(conn); uc != nil && uc.ttys > 0 {
		uc.ttys--
	}
}

// findLocked is the pooled connection conn, or nil. p.mu must be held.
func (p *upPool) findLocked(conn ssh.Conn) *upConn {
	for _, uc := range p.conns {
		if uc.Conn == conn {
			return uc
		}
	}
	return nil
}

// quietConnLocked is a connection that carries no terminal, or nil. p.mu
// must be held.
func (p *upPool) quietConnLocked() *upConn {
	for _, uc := range p.conns {
		if !uc.retired && uc.ttys == 0 {
			return uc
		}
	}
	return nil
}

// quietDueLocked reports whether a login for sessions without a terminal
// may start now. p.mu must be held.
func (p *upPool) quietDueLocked() bool {
	q := p.quiet
	return p.spares && !p.closed && !q.dialing && !q.never && time.Since(q.failed) >= growRetry
}

// addQuiet logs in once more, without prompts, and adds the connection
// for sessions without a terminal; the spare moves there.
func (p *upPool) addQuiet() {
	up, err := p.dial(p.life)
	p.mu.Lock()
	p.quiet.dialing = false
	if err != nil {
		p.quiet.failed = time.Now()
		p.quiet.never = errors.Is(err, upstream.ErrNoPrompter) || errors.Is(err, upstream.ErrPrompterGone)
		p.mu.Unlock()
		p.log.Info("no connection of their own for sessions without a terminal", "err", err)
		return
	}
	if p.closed {
		p.mu.Unlock()
		up.Conn.Close()
		return
	}
	uc := p.addLocked(up)
	uc.sessions-- // addLocked reserved a slot for a caller; there is none
	uc.idle = time.AfterFunc(extraLinger, func() { p.retire(uc) })
	p.broadcast()
	moved := p.spare
	if moved != nil && moved.uc.ttys > 0 {
		p.spare = nil
	} else {
		moved = nil
	}
	p.mu.Unlock()
	p.log.Info("sessions without a terminal go to a connection of their own")
	if moved != nil {
		p.discard(moved)
	}
	p.refill()
}

// openTerminal opens a session for a terminal on a connection that
// carries terminals already, if one has a free slot. ok is false when
// there is none or the server refused: then the caller opens one as for
// any session.
func (p *upPool) openTerminal() (s upSession, ok bool) {
	p.mu.Lock()
	var uc *upConn
	for _, c := range p.conns {
		if c.ttys > 0 && !c.full() {
			uc = c
			break
		}
	}
	if uc == nil {
		p.mu.Unlock()
		return upSession{}, false
	}
	p.reserveLocked(uc)
	p.mu.Unlock()
	ch, reqs, err := p.open(uc.Upstream, "session", nil)
	if err != nil {
		p.refused(uc, err)
		return upSession{}, false
	}
	p.opened(uc)
	return upSession{conn: uc.Conn, ch: ch, reqs: reqs, release: func() { p.release(uc) }}, true
}
