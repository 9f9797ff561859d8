package share

import (
	"errors"
	"io"
	"time"

	"github.com/sshshare/sshshare/share/upstream"
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
	prio    *upstream.Priority // conn's, which puts terminal sessions before bulk ones
	ch      ssh.Channel
	reqs    <-chan *ssh.Request
	release func()
	pty     bool // the client asked for a terminal: its stderr lines end in CR LF
}

// startSession forwards the client's requests to s until the session has
// started. On a spare (watched) it resumes on a fresh session if s's
// upstream is dead. An agent request first places the session on an
// upstream connection that forwards the client's agent (see agentfwd.go),
// or is refused, and the client told on its stderr. It returns the
// session to bridge and the request that started it, or ok false if the
// client left or no session could be had.
func (c *client) startSession(down ssh.Channel, downReqs <-chan *ssh.Request, s upSession, watched bool) (_ upSession, start string, ok bool) {
	var sent []*ssh.Request
	agent, pty := false, false
	for req := range downReqs {
		c.observe(req)
		switch req.Type {
		case "pty-req":
			pty = true
		case "x11-req":
			if s.conn != nil && upstream.ThroughEngine(s.conn) {
				refuse(down, req, pty, "X11 forwarding refused for this session: "+upstream.ErrEngineNoX11.Error())
				continue
			}
		case "auth-agent-req@openssh.com":
			placed, err := c.placeAgent(s, sent)
			s = placed
			if err != nil {
				refuse(down, req, pty, "agent forwarding refused for this session: "+err.Error())
				continue
			}
			agent = true
		}
		sent = append(sent, req)
		ok, err := c.send(s, req, watched)
		if errors.Is(err, errUpstreamDead) {
			s.ch.Close()
			s.release()
			var rerr error
			if s, rerr = c.resume(sent[:len(sent)-1], agent); rerr != nil {
				req.Reply(false, nil)
				return s, "", false
			}
			ok, err = s.ch.SendRequest(req.Type, req.WantReply, req.Payload)
		}
		if req.WantReply {
			req.Reply(ok && err == nil, nil)
		}
		if startsSession(req.Type) {
			s.pty = pty
			return s, req.Type, true
		}
	}
	s.ch.Close()
	s.release()
	return s, "", false
}

// send sends a request on s, watched (see sendWatched) or not.
func (c *client) send(s upSession, req *ssh.Request, watched bool) (bool, error) {
	if watched {
		return c.m.sendWatched(s.conn, s.ch, req)
	}
	return s.ch.SendRequest(req.Type, req.WantReply, req.Payload)
}

// refuse answers a request no, and says why on the session's stderr, as
// one sshshare line (the client's ssh shows it).
func refuse(down ssh.Channel, req *ssh.Request, pty bool, why string) {
	if req.WantReply {
		req.Reply(false, nil)
	}
	io.WriteString(down.Stderr(), stderrLine(why, pty))
}

// resume opens a fresh session (on the healed connection), placed for the
// client's agent if the session forwards it, and replays the requests
// already answered on the dead one.
func (c *client) resume(sent []*ssh.Request, agent bool) (upSession, error) {
	s, err := c.m.pool.openSession(c.ctx, nil)
	if err != nil {
		return upSession{}, err
	}
	if agent {
		if s, err = c.placeAgent(s, nil); err != nil {
			s.ch.Close()
			s.release()
			return upSession{}, err
		}
	}
	for _, req := range sent {
		s.ch.SendRequest(req.Type, req.WantReply, req.Payload)
	}
	c.m.log.Info("session resumed on a fresh upstream connection", "requests", len(sent))
	return s, nil
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
