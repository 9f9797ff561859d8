package share

import (
	"golang.org/x/crypto/ssh"
)

// serveUpstream services one upstream connection's server-opened channels
// and global requests until it closes. Both must always be serviced, or
// the connection's read loop blocks and every channel on it stalls.
func (m *Master) serveUpstream(uc *upConn) {
	go func() {
		for req := range uc.Reqs {
			// hostkeys-00@openssh.com, keepalives: answer as ssh does.
			if req.WantReply {
				req.Reply(false, nil)
			}
		}
	}()
	for nch := range uc.Chans {
		go m.routeServerChannel(uc.Conn, nch)
	}
	m.routes.forgetConn(uc.Conn)
}

// routeServerChannel hands a channel the server opened on the upstream
// connection on (remote forward, agent, X11) to the local client it
// belongs to.
func (m *Master) routeServerChannel(on ssh.Conn, nch ssh.NewChannel) {
	if nch.ChannelType() == "x11" {
		m.routeX11(nch)
		return
	}
	c, err := m.routes.routeServerChannel(on, nch)
	if err != nil {
		m.log.Info("refused server channel", "type", nch.ChannelType(), "err", err)
		nch.Reject(ssh.Prohibited, err.Error())
		return
	}
	c.deliver(nch)
}
