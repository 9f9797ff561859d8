package share

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/ssh"
)

// client is one local ssh whose SSH session the master terminates.
type client struct {
	m *Master
	// ctx ends when the client has left or the master ends: a session
	// open waiting for a free MaxSessions slot stops waiting then.
	ctx            context.Context
	conn           *ssh.ServerConn
	pid            int // the client's ssh, 0 if unknown; for status
	noMoreSessions atomic.Bool
	gone           atomic.Bool // left: routes must not be added for it any more
	// agentKeys are the keys of the agent the client forwards (see
	// agentKeySet), once asked.
	agentOnce sync.Once
	agentKeys keySet
}

// serveShare runs the master's side of a local ssh's SSH connection until
// the client leaves; joined is called once its handshake has succeeded.
func (m *Master) serveShare(ctx context.Context, nc net.Conn, cfg *ssh.ServerConfig, pid int, joined func()) {
	m.login.waiting.Add(1)
	sc, chans, reqs, err := ssh.NewServerConn(nc, cfg)
	m.login.waiting.Add(-1)
	if err != nil {
		m.log.Info("local handshake", "err", err)
		return
	}
	joined()
	c := &client{m: m, ctx: ctx, conn: sc, pid: pid}
	go c.globalRequests(reqs)
	for nch := range chans {
		go c.openChannel(nch)
	}
	c.leave()
}

// leave cancels the client's remote forwards on the upstream connections
// that hold them and forgets its routes, so nothing it set up outlives it.
func (c *client) leave() {
	c.gone.Store(true)
	for k, on := range c.m.routes.drop(c) {
		cancelForward(on, k)
	}
}

// globalRequests answers the client's global requests: keepalives and
// no-more-sessions locally, forwards upstream on the primary connection,
// anything else relayed as is.
func (c *client) globalRequests(reqs <-chan *ssh.Request) {
	for req := range reqs {
		switch req.Type {
		case "keepalive@openssh.com":
			req.Reply(false, nil) // what sshd answers; any answer means alive
		case "no-more-sessions@openssh.com":
			c.noMoreSessions.Store(true)
			req.Reply(true, nil)
		case "tcpip-forward", "cancel-tcpip-forward":
			c.tcpipForward(req)
		case "streamlocal-forward@openssh.com", "cancel-streamlocal-forward@openssh.com":
			c.streamlocalForward(req)
		default:
			ok, payload, err := c.m.pool.primary().Conn.SendRequest(req.Type, req.WantReply, req.Payload)
			req.Reply(ok && err == nil, payload)
		}
	}
}

// tcpipForward relays a -R request and records its listener for routing.
func (c *client) tcpipForward(req *ssh.Request) {
	var m tcpipForwardMsg
	if err := ssh.Unmarshal(req.Payload, &m); err != nil {
		req.Reply(false, nil)
		return
	}
	if req.Type == "cancel-tcpip-forward" {
		c.cancelForward(req, forwardKey{m.Addr, m.Port})
		return
	}
	up := c.m.pool.primary().Conn
	ok, payload, err := up.SendRequest(req.Type, true, req.Payload)
	ok = ok && err == nil
	if ok {
		c.addedTCP(m, payload, up)
	}
	req.Reply(ok, payload)
}

// addedTCP records the TCP listener up has made for the request m, under
// the port the server holds. A dynamic port (-R 0:...) whose reply names
// no port is not recorded: its channels could not be matched, and it must
// not be asked for again as anything else after a heal. The client gets
// the reply as the server gave it, as plain ssh would.
func (c *client) addedTCP(m tcpipForwardMsg, payload []byte, up ssh.Conn) {
	key := forwardKey{m.Addr, m.Port}
	if m.Port == 0 {
		var bound struct{ Port uint32 }
		if ssh.Unmarshal(payload, &bound) != nil || bound.Port == 0 {
			c.m.log.Warn("the server gave no port for a dynamic remote forward; not routing it", "addr", m.Addr)
			c.m.noteError("remote forward " + m.Addr + ":0: the server gave no port; not routed")
			return
		}
		key.port = bound.Port
	}
	c.added(key, up)
}

// cancelForward relays a client's cancel of the listener k to the
// connection that holds it, which after a heal need not be the primary.
// A listener still being carried is cancelled where it lands; the client
// is told yes, as the server holding it would have.
func (c *client) cancelForward(req *ssh.Request, k forwardKey) {
	on, carrying, found := c.m.routes.cancel(k)
	switch {
	case !found:
		on = c.m.pool.primary().Conn
	case carrying:
		cancelForward(on, k) // the old connection may live on, retired
		req.Reply(true, nil)
		return
	}
	ok, payload, err := on.SendRequest(req.Type, true, req.Payload)
	req.Reply(ok && err == nil, payload)
}

// added records the remote listener k that up has made for c (see
// Master.addForward).
func (c *client) added(k forwardKey, up ssh.Conn) {
	c.m.addForward(k, c, up)
}

// addForward records the remote listener k that up, the primary when it
// was asked, has made for o. If o has left meanwhile, the listener is
// cancelled and addForward reports false; if a heal replaced up
// meanwhile, the listener is carried over to the fresh primary like the
// others.
func (m *Master) addForward(k forwardKey, o forwardOwner, up ssh.Conn) bool {
	if !m.routes.add(k, o, up) {
		cancelForward(up, k)
		return false
	}
	if primary := m.pool.primary().Conn; primary != up {
		m.carryForwards(primary)
	}
	return true
}

// left reports whether the client has left.
func (c *client) left() bool { return c.gone.Load() }

// forwardLost ends the client's connection: a remote forward it asked for
// was lost in a heal, and plain ssh would have ended with its upstream.
func (c *client) forwardLost(forwardKey) { c.conn.Close() }

// streamlocalForward relays a -R to a Unix socket path.
func (c *client) streamlocalForward(req *ssh.Request) {
	var m streamlocalForwardMsg
	if err := ssh.Unmarshal(req.Payload, &m); err != nil {
		req.Reply(false, nil)
		return
	}
	if req.Type == "cancel-streamlocal-forward@openssh.com" {
		c.cancelForward(req, forwardKey{addr: m.Path})
		return
	}
	up := c.m.pool.primary().Conn
	ok, payload, err := up.SendRequest(req.Type, true, req.Payload)
	ok = ok && err == nil
	if ok {
		c.added(forwardKey{addr: m.Path}, up)
	}
	req.Reply(ok, payload)
}

// openChannel opens the same channel upstream and bridges the two; an
// upstream refusal is passed down with its reason.
func (c *client) openChannel(nch ssh.NewChannel) {
	if nch.ChannelType() == "session" {
		c.openSession(nch)
		return
	}
	up, upReqs, err := c.m.openRetried(nch.ChannelType(), nch.ExtraData())
	if err != nil {
		rejectLike(nch, err)
		return
	}
	down, downReqs, err := nch.Accept()
	if err != nil {
		up.Close()
		return
	}
	c.bridge(&bridge{Down: end{ch: down, reqs: downReqs}, Up: end{ch: up, reqs: upReqs}})
}

// openSession opens a session upstream (the spare, or one through the
// pool for MaxSessions), starts it (see startSession) and bridges it.
func (c *client) openSession(nch ssh.NewChannel) {
	if c.noMoreSessions.Load() {
		nch.Reject(ssh.Prohibited, "no more sessions")
		return
	}
	var s upSession
	fromSpare := false
	if len(nch.ExtraData()) == 0 {
		s, fromSpare = c.m.takeSpare()
	}
	if !fromSpare {
		var err error
		if s, err = c.m.pool.openSession(c.ctx, nch.ExtraData()); err != nil {
			rejectLike(nch, err)
			return
		}
	}
	down, downReqs, err := nch.Accept()
	if err != nil {
		s.ch.Close()
		s.release()
		return
	}
	s, start, ok := c.startSession(down, downReqs, s, fromSpare)
	if !ok {
		down.Close()
		return
	}
	defer s.release()
	c.bridgeSession(down, downReqs, s, start)
}

// bridgeSession bridges a session channel that start (shell, exec or
// subsystem) has started on s. A command the client leaves running is
// signalled (see hangup.go) unless the master keeps orphans; sshd does
// not signal subsystems. If the master gives up s's upstream connection,
// the client's stderr says so (see lostLine).
func (c *client) bridgeSession(down ssh.Channel, downReqs <-chan *ssh.Request, s upSession, start string) {
	b := &bridge{Down: end{ch: down, reqs: downReqs}, Up: end{ch: s.ch, reqs: s.reqs}, Running: start == "shell" || start == "exec", Prio: s.prio, Terminal: s.pty}
	if !c.m.cfg.KeepOrphans {
		b.Hangup = hangup
	}
	if s.conn != nil {
		conn := s.conn
		pty := s.pty
		b.Lost = func() string { return c.m.lostLine(conn, pty) }
	}
	c.bridge(b)
}

// bridge joins a client's channel to its upstream counterpart until both
// have closed.
func (c *client) bridge(b *bridge) {
	c.m.stats.channels.Add(1)
	defer c.m.stats.channels.Add(-1)
	b.In, b.Out, b.OnRequest = &c.m.stats.bytesIn, &c.m.stats.bytesOut, c.observe
	b.Run()
}

// observe notes the cookie of an X11 request; an agent request is placed
// before it is sent (see startSession).
func (c *client) observe(req *ssh.Request) {
	if req.Type == "x11-req" {
		c.m.routes.wantX11(c, req.Payload)
	}
}

// rejectLike refuses nch with the reason the upstream gave.
func rejectLike(nch ssh.NewChannel, err error) {
	var oe *ssh.OpenChannelError
	if errors.As(err, &oe) {
		nch.Reject(oe.Reason, oe.Message)
		return
	}
	nch.Reject(ssh.ConnectionFailed, err.Error())
}

// deliver opens a server-opened channel on this client's connection and
// bridges it to the upstream channel.
func (c *client) deliver(nch ssh.NewChannel) {
	down, downReqs, err := c.conn.OpenChannel(nch.ChannelType(), nch.ExtraData())
	if err != nil {
		rejectLike(nch, err)
		return
	}
	up, upReqs, err := nch.Accept()
	if err != nil {
		down.Close()
		return
	}
	c.m.stats.channels.Add(1)
	defer c.m.stats.channels.Add(-1)
	b := &bridge{Down: end{ch: down, reqs: downReqs}, Up: end{ch: up, reqs: upReqs}, In: &c.m.stats.bytesIn, Out: &c.m.stats.bytesOut}
	b.Run()
}
