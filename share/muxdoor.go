package share

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/mux"
	"github.com/sshshare/sshshare/share/sysio"
	"github.com/sshshare/sshshare/share/upstream"
)

// The mux door. Besides its control socket (the ProxyCommand door), a
// logged-in share master listens on a second socket and speaks OpenSSH's
// own connection-multiplexing protocol there (PROTOCOL.mux version 4, see
// share/mux). A stock ssh whose config names that socket as its
// ControlPath, with ControlMaster no, tries it first, in-process: it
// passes its stdin, stdout and stderr over the socket and the master runs
// the session on its upstream connection, with no ProxyCommand, no local
// key exchange and no second encryption. When nothing listens there (a
// cold start) ssh carries on silently with its ProxyCommand, and that
// starts the master. What the protocol cannot express, or the door
// declines, is answered MUX_S_FAILURE where ssh then falls back to the
// ProxyCommand door the same way.
//
// The door is published only once the master is logged in (a client
// reaching it never waits for a login, nor could answer its questions),
// with the control socket's checks: a private directory, mode 0600, an
// atomic publish, and the peer's uid checked on every connection. The
// master sends its HELLO the moment it accepts: clients before OpenSSH
// 9.4 wait for it without a timeout.

// muxDoor is the master's mux socket and what it has served.
type muxDoor struct {
	ln       *publishedListener
	slots    chan struct{} // connections not yet past their hello
	sessions atomic.Int64  // sessions and stdio forwards served
	nextID   atomic.Uint32 // session ids, for the client's exit messages
	winch    *winchWatch
}

// openMuxDoor publishes the mux socket, if the master has one, and starts
// accepting on it. A failure leaves the master without the door: ssh then
// finds no socket and uses the ProxyCommand. Windows has none: its ssh
// has no mux client.
func (m *Master) openMuxDoor() {
	path := m.cfg.MuxSocket
	if path == "" || runtime.GOOS == "windows" {
		return
	}
	if sysio.ProbeSocket(path) == sysio.SocketLive {
		// A master of another view of the target serves it; its
		// clients of this view are sent to their ProxyCommand.
		m.log.Info("mux door not opened: another master serves its socket", "socket", path)
		return
	}
	ln, err := publish(path, sysio.ListenRaw)
	if err != nil {
		m.log.Warn("mux door not opened", "err", err)
		m.noteError("mux door: " + err.Error())
		return
	}
	d := &muxDoor{ln: ln, slots: make(chan struct{}, maxUnauthenticated), winch: newWinchWatch(m.log)}
	m.mux.Store(d)
	m.log.Info("mux door open", "socket", path)
	go func() {
		err := acceptLoop(m.ctx, ln, d.slots, m.log, func(conn net.Conn, release func()) {
			m.conns.Add(1)
			go func() {
				defer m.conns.Done()
				defer release()
				m.serveMux(d, conn, release)
			}()
		})
		if err != nil {
			m.log.Warn("mux door closed", "err", err)
			d.ln.Close()
		}
	}()
}

// closeMuxDoor stops accepting on the mux socket and removes it; sessions
// already served go on.
func (m *Master) closeMuxDoor() {
	d := m.mux.Load()
	if d == nil {
		return
	}
	if err := d.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		m.log.Warn("close mux listener", "err", err)
	}
	d.winch.stop()
}

// checkControlMaster refuses a config in which ssh, with its ControlPath
// on this master's mux socket, would act as a master itself there
// (ControlMaster yes, ask, auto or autoask): with yes or ask it never
// tries the socket as a client, and with auto it would take over the path
// after its own login, so sshshare's master would have a rival.
func (m *Master) checkControlMaster(cfg upstream.HostConfig) error {
	if m.cfg.MuxSocket == "" || cfg.ControlPath != m.cfg.MuxSocket {
		return nil
	}
	switch strings.ToLower(cfg.ControlMaster) {
	case "", "no", "false":
		return nil
	}
	err := fmt.Errorf("ControlMaster %s with ControlPath %s: ssh would be a rival master on sshshare's mux socket", cfg.ControlMaster, cfg.ControlPath)
	return hint.With(err, "put `ControlMaster no` in sshshare's Host block, before any Host * that sets ControlMaster")
}

// muxConn is one connection to the mux door.
type muxConn struct {
	m     *Master
	d     *muxDoor
	conn  sysio.FdConn
	rider *rider // the ride of a session or stdio forward (see ride)
	ctx   context.Context
	// wmu serialises the master's packets: a session's exit message
	// may be written while a request is answered.
	wmu sync.Mutex
	// fwds are the forwards this connection opened. They are the
	// master's (ssh -O forward) unless the connection asks for a session
	// or one of its forwards fails: then they end with the connection
	// (see serveMux), even if the session is refused, as ssh then falls
	// back to its ProxyCommand and sets them up itself, where the
	// master's listeners would be in its way.
	fwds    []mux.Forward
	fwdsEnd bool
	// view delivers what the client's command line says, read in the
	// background from its connection on (see readClient); nil when the
	// master does not read it.
	view chan MuxClient
}

// serveMux serves one mux client: the hello exchange, then its requests
// one at a time, until it closes the connection or has run its session.
// The master's hello goes out first, once the peer has been checked: a
// warm connect waits for it, and what else a connection needs is set up
// while the client answers.
func (m *Master) serveMux(d *muxDoor, conn net.Conn, release func()) {
	defer conn.Close()
	if err := sysio.CheckPeer(conn); err != nil {
		m.log.Warn("refused mux connection", "err", err)
		return
	}
	uc, err := sysio.UnixConn(conn)
	if err != nil {
		return
	}
	c := &muxConn{m: m, d: d, conn: uc}
	if err := c.sendHello(); err != nil {
		m.log.Info("mux hello", "err", err)
		return
	}
	// ssh's connect woke the master on the processor ssh runs on, and
	// the master preempted it there: the hello would reach ssh only once
	// the master had also set the connection up and read ssh's command
	// line. Handed the processor, ssh reads the hello and sends its own
	// meanwhile. (With nobody waiting, Yield returns at once.)
	sysio.Yield()
	ctx, cancel := context.WithCancelCause(m.ctx)
	defer cancel(errClientLeft)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c.ctx = ctx
	c.readClient()
	if err := c.readHello(); err != nil {
		m.log.Info("mux hello", "err", err)
		return
	}
	release()
	c.serve()
	if c.fwdsEnd {
		for _, f := range c.fwds {
			m.releaseMuxForward(f)
		}
	}
}

// sendHello sends the master's HELLO. It needs no deadline: the first
// bytes on a new connection fit in its empty socket buffer.
func (c *muxConn) sendHello() error {
	return mux.Write(c.conn, &mux.Hello{Version: mux.ProtocolVersion})
}

// readHello reads the client's HELLO within control.HelloTimeout.
func (c *muxConn) readHello() error {
	c.conn.SetReadDeadline(time.Now().Add(control.HelloTimeout))
	defer c.conn.SetReadDeadline(time.Time{})
	msg, err := mux.Read(c.conn)
	if err != nil {
		return fmt.Errorf("read the client's hello: %w", err)
	}
	h, ok := msg.(*mux.Hello)
	if !ok {
		return fmt.Errorf("client sent %v before its hello", msg.Type())
	}
	if h.Version != mux.ProtocolVersion {
		return fmt.Errorf("client speaks mux protocol version %d, not %d", h.Version, mux.ProtocolVersion)
	}
	return nil
}

// ride runs a session or a stdio forward as one of the master's riders,
// then closes the connection and logs the leave, in that order: ssh exits
// as soon as the connection closes. The ride's connect line is written a
// second after ssh has SESSION_OPENED, or with the leave line if the ride
// is shorter (see Master.logJoinedSoon); a client sent back to its
// ProxyCommand before SESSION_OPENED has no lines of its own.
func (c *muxConn) ride(run func()) {
	c.rider = c.m.riders.join(c.conn, control.DoorMux)
	run()
	c.conn.Close()
	c.m.clientLeft(c.rider)
}

// opened answers SESSION_OPENED, then has the client logged as joined.
func (c *muxConn) opened(requestID, sessionID uint32) error {
	if err := c.reply(&mux.SessionOpened{RequestID: requestID, SessionID: sessionID}); err != nil {
		return err
	}
	c.m.logJoinedSoon(c.rider)
	return nil
}

// serve answers requests until the client leaves, breaks the protocol, or
// its session or stdio forward has ended (the connection then closes, as
// with OpenSSH's master).
func (c *muxConn) serve() {
	for {
		msg, err := mux.Read(c.conn)
		var unknown *mux.UnknownTypeError
		switch {
		case errors.As(err, &unknown) && unknown.HasRequestID:
			c.fail(unknown.RequestID, "unsupported request")
			continue
		case err != nil:
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.m.log.Info("mux request", "err", err)
			}
			return
		}
		if done := c.dispatch(msg); done {
			return
		}
	}
}

// dispatch answers one request, and reports whether the connection is
// done with.
func (c *muxConn) dispatch(msg mux.Message) (done bool) {
	switch r := msg.(type) {
	case *mux.AliveCheck:
		c.reply(&mux.Alive{RequestID: r.RequestID, PID: uint32(c.m.pid())})
	case *mux.Terminate:
		if c.stopOtherView(r.RequestID, false) {
			return true
		}
		c.reply(&mux.OK{RequestID: r.RequestID})
		c.m.log.Info("stop requested over the mux door (ssh -O exit)")
		c.m.Stop(false)
		return true
	case *mux.StopListening:
		if c.stopOtherView(r.RequestID, true) {
			break
		}
		c.m.unpublish() // before the OK, as OpenSSH's master: then the sockets are gone
		c.reply(&mux.OK{RequestID: r.RequestID})
		c.m.log.Info("drain requested over the mux door (ssh -O stop)")
		c.m.Stop(true)
	case *mux.OpenForward:
		c.openForward(r)
	case *mux.CloseForward:
		if err := c.m.closeMuxForward(r.Forward); err != nil {
			c.fail(r.RequestID, err.Error())
		} else {
			c.reply(&mux.OK{RequestID: r.RequestID})
		}
	case *mux.NewSession:
		c.fwdsEnd = true
		c.ride(func() { c.session(r) })
		return true
	case *mux.NewStdioForward:
		c.fwdsEnd = true
		c.ride(func() { c.stdioForward(r) })
		return true
	case *mux.Hello:
		c.m.log.Info("mux client sent a second hello")
		return true
	case *mux.Proxy:
		c.fail(r.RequestID, "sshshare's mux door does not serve -O proxy")
	case *mux.ExtInfo:
		c.fail(r.RequestID, "unsupported request")
	default:
		c.m.log.Info("mux client sent a master's message", "type", msg.Type())
		return true
	}
	return false
}

// openForward sets up a forward for the client and answers it.
func (c *muxConn) openForward(r *mux.OpenForward) {
	port, err := c.m.openMuxForward(r.Forward)
	if err != nil {
		c.fwdsEnd = true
		c.fail(r.RequestID, err.Error())
		return
	}
	c.fwds = append(c.fwds, r.Forward)
	if r.Kind == mux.ForwardRemote && r.ListenPort == 0 {
		c.reply(&mux.RemotePort{RequestID: r.RequestID, Port: port})
		return
	}
	c.reply(&mux.OK{RequestID: r.RequestID})
}

// reply writes one of the master's packets.
func (c *muxConn) reply(msg mux.Message) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.conn.SetWriteDeadline(time.Now().Add(control.HelloTimeout))
	defer c.conn.SetWriteDeadline(time.Time{})
	return mux.Write(c.conn, msg)
}

// stopOtherView passes ssh -O stop (drain) or -O exit from a client whose
// options make another view of the host to that view's master (see
// MuxClient.Stop), answers the client, and reports whether it did: false
// when the client's view is this master's, or cannot be told.
func (c *muxConn) stopOtherView(rid uint32, drain bool) bool {
	client := c.client()
	if client.Refusal == nil || client.Stop == nil {
		return false
	}
	if err := client.Stop(drain); err != nil {
		c.m.log.Info("stop for another view's master failed", "drain", drain, "err", err)
		c.fail(rid, "sshshare: no master of this ssh's view to stop: "+err.Error())
		return true
	}
	c.m.log.Info("stop passed to the master of the client's view", "drain", drain)
	c.reply(&mux.OK{RequestID: rid})
	return true
}

// fail answers a request MUX_S_FAILURE with reason, which ssh prints.
func (c *muxConn) fail(rid uint32, reason string) {
	c.reply(&mux.Failure{RequestID: rid, Reason: reason})
}
