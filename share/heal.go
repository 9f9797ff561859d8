package share

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sshshare/sshshare/share/upstream"
	"golang.org/x/crypto/ssh"
)

// Self-healing. When the primary upstream stops answering (a network
// change, a laptop sleep, a restarted sshd), the master logs in again
// without asking anything (agent and key files only) and carries on with
// the fresh connection: clients that arrive see nothing. Sessions that ran
// on the dead connection end, as they would with plain ssh. If the login
// would need a prompt, the master exits instead and the next ssh starts a
// fresh master, which asks.

// errUpstreamDead is a channel open that failed because the upstream
// stopped answering, after which the master healed it: worth one more try
// on the fresh connection.
var errUpstreamDead = errors.New("upstream stopped answering")

// errUpstreamLost is a channel open that failed because the upstream
// stopped answering and could not be healed: the master is ending.
var errUpstreamLost = errors.New("upstream connection lost and a new login needs a prompt")

// healer serialises healing so one dead connection is replaced once.
type healer struct{ mu sync.Mutex }

// openWatched opens a channel on up, with a watchdog: an open unanswered
// within the probe wait makes a keepalive decide. A dead upstream is
// reported (healing or ending the master) and the open fails with
// errUpstreamDead; a slow but live one is waited for.
func (m *Master) openWatched(up *upstream.Upstream, chanType string, extra []byte) (ssh.Channel, <-chan *ssh.Request, error) {
	type opened struct {
		ch   ssh.Channel
		reqs <-chan *ssh.Request
		err  error
	}
	done := make(chan opened, 1)
	go func() {
		ch, reqs, err := up.Conn.OpenChannel(chanType, extra)
		done <- opened{ch, reqs, err}
	}()
	t := time.NewTimer(m.health.probeWait())
	defer t.Stop()
	select {
	case r := <-done:
		return r.ch, r.reqs, m.openError(up.Conn, r.err)
	case <-t.C:
	}
	if err := m.health.ping(up.Conn, m.health.probeWait()); err != nil {
		m.upstreamDead(up.Conn, "channel open unanswered: "+err.Error())
		go func() {
			if r := <-done; r.err == nil {
				r.ch.Close()
			}
		}()
		return nil, nil, m.deadError()
	}
	r := <-done
	return r.ch, r.reqs, m.openError(up.Conn, r.err)
}

// openError passes a server's refusal on; any other failure means the
// connection is gone (closed by the server, reset): it is reported dead,
// and the open may be retried on the healed connection.
func (m *Master) openError(conn ssh.Conn, err error) error {
	var oe *ssh.OpenChannelError
	if err == nil || errors.As(err, &oe) {
		return err
	}
	m.upstreamDead(conn, "channel open failed: "+err.Error())
	return m.deadError()
}

// deadError is errUpstreamDead if the master healed, else errUpstreamLost.
func (m *Master) deadError() error {
	if m.health.failed.Load() || m.isClosing() {
		return errUpstreamLost
	}
	return errUpstreamDead
}

// openRetried is openWatched on the primary, tried once more on the fresh
// connection if the first one was found dead and healed.
func (m *Master) openRetried(chanType string, extra []byte) (ssh.Channel, <-chan *ssh.Request, error) {
	ch, reqs, err := m.openWatched(m.pool.primary(), chanType, extra)
	if errors.Is(err, errUpstreamDead) {
		ch, reqs, err = m.openWatched(m.pool.primary(), chanType, extra)
	}
	return ch, reqs, err
}

// upstreamDead handles a connection found dead. A pooled extra connection
// is just closed. The primary is replaced by a fresh login when one needs
// no prompt; otherwise the master ends, and its clients' ssh see the
// connection close.
func (m *Master) upstreamDead(dead ssh.Conn, reason string) {
	m.healer.mu.Lock()
	defer m.healer.mu.Unlock()
	if m.isClosing() || m.health.failed.Load() {
		return // ending already: a failed heal is not tried again
	}
	if m.pool.primary().Conn != dead {
		if pingConn(dead, m.health.probeWait()) != nil {
			m.noteLost(dead, m.lostWhy(reason))
			dead.Close() // an extra connection, or a primary already replaced
		}
		return
	}
	m.log.Warn("upstream dead", "reason", reason)
	m.noteError("upstream dead: " + reason)
	if err := m.heal(); err != nil {
		m.log.Error("heal upstream", "err", err)
		m.noteError("heal upstream: " + err.Error())
		m.health.failed.Store(true)
		why := fmt.Sprintf("%s, and logging in again failed: %v", m.lostWhy(reason), loginCause(err))
		m.noteLost(dead, why)
		m.noteEnding(why)
		go m.shutdown("upstream dead: " + reason)
		return
	}
	m.log.Info("upstream healed with a fresh login")
	go m.pool.prune(healGrace, func(c ssh.Conn) {
		m.noteLost(c, m.lostWhy(reason)+"; the master logged in again, but this session could not move")
	})
}

// loginCause is a failed login's error without x/crypto's "ssh:
// handshake failed:" before a host key refusal, which says it all.
func loginCause(err error) error {
	var hk *upstream.HostKeyError
	if errors.As(err, &hk) {
		return hk
	}
	return err
}

// healGrace is how long the connections left over from a heal (the old
// primary, pooled ones) get to answer before they are closed: a stall of a
// few seconds must not end the sessions on them, a dead network must.
const healGrace = 10 * time.Second

// heal logs in again without prompting and makes that the primary. A
// master chained through another master (--via) does not: its upstream
// ends when that master is stopped, and must not bring it back.
func (m *Master) heal() error {
	if m.cfg.Via != "" {
		return errors.New("not healing a chained master; the next ssh rebuilds the chain")
	}
	d := *m.dialer
	d.Prompter = nil
	d.Stderr = nil
	d.Notes = nil
	ctx, cancel := context.WithTimeout(m.ctx, d.ConnectTimeout()+10*time.Second)
	defer cancel()
	up, err := d.Dial(ctx)
	if err != nil {
		return err
	}
	m.pool.replacePrimary(up)
	m.carryForwards(up.Conn)
	go m.pool.refill()
	m.health.heard()
	m.health.healed.Add(1)
	m.health.lastHeal.Store(time.Now().UnixNano())
	return nil
}

// isClosing reports whether the master is shutting down.
func (m *Master) isClosing() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closing
}

// prune pings every connection but the primary and closes those that do
// not answer within wait, ending the sessions on them; lost is told of
// each before it is closed.
func (p *upPool) prune(wait time.Duration, lost func(ssh.Conn)) {
	p.mu.Lock()
	others := append([]*upConn(nil), p.conns[1:]...)
	p.mu.Unlock()
	for _, uc := range others {
		go func() {
			if pingConn(uc.Conn, wait) != nil {
				lost(uc.Conn)
				uc.Conn.Close()
			}
		}()
	}
}

// replacePrimary makes up the primary connection. The old one stays in
// the pool, retired (no new sessions), until it closes.
func (p *upPool) replacePrimary(up *upstream.Upstream) {
	p.mu.Lock()
	old := p.conns[0]
	old.retired = true
	uc := &upConn{Upstream: up}
	p.conns = append([]*upConn{uc}, p.conns...)
	p.broadcast()
	p.mu.Unlock()
	go p.serve(uc)
	go p.forget(old)
}
