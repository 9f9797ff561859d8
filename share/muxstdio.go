package share

import (
	"io"

	"golang.org/x/crypto/ssh"

	"github.com/sshshare/sshshare/share/mux"
	"github.com/sshshare/sshshare/share/sysio"
)

// A stdio forward through the mux door (ssh -W, and so every ProxyJump
// through a host the master serves): the client's stdin and stdout are
// spliced to a direct-tcpip channel (direct-streamlocal for ssh -W
// /path). ssh cannot fall back from a refused stdio forward, so a channel
// the server refuses is answered MUX_S_FAILURE with its reason, which ssh
// prints ("Stdio forwarding request failed: ..."), exiting 255 as plain
// ssh -W does when its channel is refused.

// streamlocalMsg is the extra data of a direct-streamlocal channel open.
type streamlocalMsg struct {
	Path      string
	Reserved  string
	Reserved2 uint32
}

// stdioForward serves a NEW_STDIO_FWD request to its end.
func (c *muxConn) stdioForward(r *mux.NewStdioForward) {
	fds, err := sysio.RecvFds(c.conn, 2)
	if err != nil {
		c.m.log.Info("mux stdio forward: descriptors not received", "err", err)
		return
	}
	files, err := adoptClientFds(fds, []string{"stdin", "stdout"})
	if err != nil {
		c.fail(r.RequestID, "sshshare: "+err.Error())
		return
	}
	defer closeClientFiles(files)
	if !c.m.admit() {
		c.fail(r.RequestID, "the sshshare master is ending")
		return
	}
	defer c.m.leave()
	chanType, extra := stdioChannel(r)
	ch, reqs, err := c.m.openRetried(chanType, extra)
	if err != nil {
		c.fail(r.RequestID, err.Error())
		return
	}
	defer ch.Close()
	go ssh.DiscardRequests(reqs)
	c.d.sessions.Add(1)
	if err := c.opened(r.RequestID, c.d.nextID.Add(1)); err != nil {
		return
	}
	c.splice(ch, files[0].Raw(), files[1].Raw())
}

// stdioChannel is the channel type and extra data that reach r's target.
func stdioChannel(r *mux.NewStdioForward) (string, []byte) {
	if r.Port == mux.PortStreamLocal {
		return "direct-streamlocal@openssh.com", ssh.Marshal(streamlocalMsg{Path: r.Host})
	}
	return "direct-tcpip", ssh.Marshal(directTCPIPMsg{Host: r.Host, Port: r.Port, OriginHost: "127.0.0.1"})
}

// splice relays in to ch and ch to out until the server's side has ended
// or the client has gone.
func (c *muxConn) splice(ch ssh.Channel, in io.Reader, out io.Writer) {
	m := c.m
	m.stats.channels.Add(1)
	defer m.stats.channels.Add(-1)
	go func() {
		copyCounted(ch, in, &m.stats.bytesOut)
		ch.CloseWrite()
	}()
	outDone := make(chan struct{})
	go func() {
		defer close(outDone)
		if copyToClient(out, ch, &m.stats.bytesIn) != nil {
			ch.Close()
		}
	}()
	clientGone := make(chan struct{})
	go func() {
		io.Copy(io.Discard, c.conn)
		close(clientGone)
	}()
	select {
	case <-outDone:
	case <-clientGone:
		ch.Close()
		<-outDone
	}
}
