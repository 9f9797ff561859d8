package share

import (
	"errors"
	"time"

	"golang.org/x/crypto/ssh"
)

// A session handed a spare (a channel opened ahead of demand) starts on a
// connection whose health was last checked before the client arrived: if
// the network changed a moment ago, the spare is dead. So until the
// session has started (its shell, exec or subsystem request answered),
// requests go up with a watchdog; when the upstream turns out dead, the
// master heals it, opens a fresh session and replays the requests there.
// Nothing else has been sent yet (sshd opens a session's window only once
// it has started), so nothing is lost and the client never notices.

// upSession is an upstream session channel and the pool slot it holds.
type upSession struct {
	conn    ssh.Conn
	ch      ssh.Channel
	reqs    <-chan *ssh.Request
	release func()
}

// startOnSpare forwards the client's requests to s until the session has
// started, resuming on a fresh session if s's upstream is dead. It returns
// the session to bridge and the request that started it, or ok false if
// the client left or no session could be had.
func (c *client) startOnSpare(downReqs <-chan *ssh.Request, s upSession) (_ upSession, start string, ok bool) {
	var sent []*ssh.Request
	for req := range downReqs {
		c.observe(req)
		sent = append(sent, req)
		ok, err := c.m.sendWatched(s.conn, s.ch, req)
		if errors.Is(err, errUpstreamDead) {
			s.ch.Close()
			s.release()
			var rerr error
			if s, rerr = c.resume(sent[:len(sent)-1]); rerr != nil {
				req.Reply(false, nil)
				return s, "", false
			}
			ok, err = s.ch.SendRequest(req.Type, req.WantReply, req.Payload)
		}
		if req.WantReply {
			req.Reply(ok && err == nil, nil)
		}
		if startsSession(req.Type) {
			return s, req.Type, true
		}
	}
	s.ch.Close()
	s.release()
	return s, "", false
}

// resume opens a fresh session (on the healed connection) and replays the
// requests already answered on the dead one.
func (c *client) resume(sent []*ssh.Request) (upSession, error) {
	ch, reqs, release, conn, err := c.m.pool.openSessionConn(c.ctx, nil)
	if err != nil {
		return upSession{}, err
	}
	for _, req := range sent {
		ch.SendRequest(req.Type, req.WantReply, req.Payload)
	}
	c.m.log.Info("session resumed on a fresh upstream connection", "requests", len(sent))
	return upSession{conn: conn, ch: ch, reqs: reqs, release: release}, nil
}

// sendWatched sends a channel request; a want-reply request unanswered
// within the probe wait makes a keepalive on conn decide. A dead upstream
// is reported (healing it) and the request fails with errUpstreamDead.
func (m *Master) sendWatched(conn ssh.Conn, ch ssh.Channel, req *ssh.Request) (bool, error) {
	if !req.WantReply {
		_, err := ch.SendRequest(req.Type, false, req.Payload)
		return false, err
	}
	type answer struct {
		ok  bool
		err error
	}
	done := make(chan answer, 1)
	go func() {
		ok, err := ch.SendRequest(req.Type, true, req.Payload)
		done <- answer{ok, err}
	}()
	t := time.NewTimer(m.health.probeWait())
	defer t.Stop()
	var a answer
	select {
	case a = <-done:
		if a.err == nil {
			return a.ok, nil
		}
	case <-t.C:
	}
	if err := pingConn(conn, m.health.probeWait()); err != nil {
		m.upstreamDead(conn, "session request unanswered: "+err.Error())
		return false, m.deadError()
	}
	if a.err == nil {
		a = <-done
	}
	return a.ok, a.err
}
