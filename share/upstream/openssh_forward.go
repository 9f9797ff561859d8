package upstream

import (
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sshshare/sshshare/share/mux"
	"github.com/sshshare/sshshare/share/sysio"
	"golang.org/x/crypto/ssh"
)

// Remote forwards through the OpenSSH engine. OpenSSH's proxy mode
// relays a tcpip-forward request but no reply comes back, so the engine
// asks for each -R the way `ssh -O forward` does: MUX_C_OPEN_FWD on a
// control connection of its own. The forward's connect side is a Unix
// socket in the engine's private directory; each connection the engine
// ssh makes there becomes a forwarded-tcpip channel on the upstream
// connection, as the server would have opened it, so the master routes it
// to the client that asked, as with the Go engine. The originator's
// address is not known there: it is given as 127.0.0.1 port 0.

// engineControlWait bounds one exchange on a control connection.
const engineControlWait = 10 * time.Second

// tcpipForwardMsg is the payload of tcpip-forward and its cancel.
type tcpipForwardMsg struct {
	Addr string
	Port uint32
}

// forwardedTCPIP is the extra data of a forwarded-tcpip channel.
type forwardedTCPIP struct {
	Addr       string
	Port       uint32
	OriginAddr string
	OriginPort uint32
}

// engineForward is one remote forward the engine ssh holds.
type engineForward struct {
	asked tcpipForwardMsg // as the client asked (port 0 for any)
	port  uint32          // the port bound
	ln    net.Listener    // its connect side
}

// engineForwards are an engine connection's remote forwards and the
// channels it makes of their connections.
type engineForwards struct {
	e     *engine
	chans chan ssh.NewChannel // merged with the server's (see run)
	done  chan struct{}       // closed once the server's channels ended
	mu    sync.RWMutex        // held to send on chans; Lock to close it
	fwds  map[tcpipForwardMsg]*engineForward
	n     int
}

// newEngineForwards merges server into the channels it returns.
func newEngineForwards(e *engine, server <-chan ssh.NewChannel) *engineForwards {
	f := &engineForwards{e: e, chans: make(chan ssh.NewChannel), done: make(chan struct{}), fwds: make(map[tcpipForwardMsg]*engineForward)}
	go f.run(server)
	return f
}

// run passes the server's channels on until they end, then closes the
// merged channel and every forward's listener.
func (f *engineForwards) run(server <-chan ssh.NewChannel) {
	for nch := range server {
		f.chans <- nch
	}
	close(f.done)
	f.mu.Lock()
	close(f.chans)
	for _, fwd := range f.fwds {
		fwd.ln.Close()
	}
	f.mu.Unlock()
}

// request handles tcpip-forward, streamlocal-forward@openssh.com and
// their cancels. A Unix socket forward is kept as its path with the port
// mux.PortStreamLocal, as the mux protocol writes it.
func (f *engineForwards) request(name string, payload []byte) (bool, []byte, error) {
	var m tcpipForwardMsg
	if strings.HasPrefix(strings.TrimPrefix(name, "cancel-"), "streamlocal-") {
		var p struct{ Path string }
		if err := ssh.Unmarshal(payload, &p); err != nil {
			return false, nil, nil
		}
		m = tcpipForwardMsg{Addr: p.Path, Port: mux.PortStreamLocal}
	} else if err := ssh.Unmarshal(payload, &m); err != nil {
		return false, nil, nil
	}
	if strings.HasPrefix(name, "cancel-") {
		return f.cancel(m), nil, nil
	}
	port, err := f.open(m)
	if err != nil {
		f.e.log.Warn("remote forward refused", "addr", m.Addr, "port", m.Port, "err", err)
		return false, nil, nil
	}
	if m.Port == 0 {
		return true, ssh.Marshal(struct{ Port uint32 }{port}), nil
	}
	return true, nil, nil
}

// open asks the engine ssh for the forward m and serves its connect side.
func (f *engineForwards) open(m tcpipForwardMsg) (uint32, error) {
	f.mu.Lock()
	f.n++
	path := filepath.Join(f.e.dir, "f"+strconv.Itoa(f.n))
	f.mu.Unlock()
	ln, err := net.Listen("unix", path)
	if err != nil {
		return 0, err
	}
	port := m.Port
	reply, err := f.e.control(&mux.OpenForward{Forward: engineForwardSpec(m, path)})
	if err == nil {
		err = replyError(reply)
	}
	if err != nil {
		ln.Close()
		return 0, err
	}
	if rp, ok := reply.(*mux.RemotePort); ok {
		port = rp.Port
	}
	fwd := &engineForward{asked: m, port: port, ln: ln}
	f.mu.Lock()
	f.fwds[tcpipForwardMsg{m.Addr, port}] = fwd
	f.mu.Unlock()
	go f.serve(fwd)
	f.e.log.Info("remote forward through the engine", "addr", m.Addr, "port", port)
	return port, nil
}

// cancel asks the engine ssh to drop a forward.
func (f *engineForwards) cancel(m tcpipForwardMsg) bool {
	f.mu.Lock()
	fwd := f.fwds[m]
	delete(f.fwds, m)
	f.mu.Unlock()
	if fwd == nil {
		return false
	}
	fwd.ln.Close()
	reply, err := f.e.control(&mux.CloseForward{Forward: engineForwardSpec(fwd.asked, fwd.ln.Addr().String())})
	if err == nil {
		err = replyError(reply)
	}
	if err != nil {
		f.e.log.Warn("cancel remote forward", "addr", m.Addr, "port", m.Port, "err", err)
		return false
	}
	return true
}

// engineForwardSpec is m as a mux forward whose connect side is path.
func engineForwardSpec(m tcpipForwardMsg, path string) mux.Forward {
	return mux.Forward{Kind: mux.ForwardRemote, ListenHost: m.Addr, ListenPort: m.Port, ConnectHost: path, ConnectPort: mux.PortStreamLocal}
}

// replyError is a mux reply's refusal, or nil.
func replyError(reply mux.Message) error {
	switch r := reply.(type) {
	case *mux.OK, *mux.RemotePort:
		return nil
	case *mux.Failure:
		return errors.New(r.Reason)
	case *mux.PermissionDenied:
		return errors.New(r.Reason)
	}
	return fmt.Errorf("unexpected reply %v", reply.Type())
}

// serve turns each connection to fwd's connect side into a
// forwarded-tcpip (or forwarded-streamlocal) channel.
func (f *engineForwards) serve(fwd *engineForward) {
	chanType, extra := "forwarded-tcpip", ssh.Marshal(forwardedTCPIP{Addr: fwd.asked.Addr, Port: fwd.port, OriginAddr: "127.0.0.1"})
	if fwd.port == mux.PortStreamLocal {
		chanType, extra = "forwarded-streamlocal@openssh.com", ssh.Marshal(struct{ Path, Reserved string }{Path: fwd.asked.Addr})
	}
	for {
		conn, err := fwd.ln.Accept()
		if err != nil {
			return
		}
		if err := sysio.CheckPeer(conn); err != nil {
			f.e.log.Warn("engine forward socket: peer refused", "err", err)
			conn.Close()
			continue
		}
		f.offer(&connNewChannel{conn: conn, chanType: chanType, extra: extra})
	}
}

// listenAgent listens on the engine's agent socket in dir (see
// engineOptions).
func listenAgent(dir string) (net.Listener, error) {
	ln, err := net.Listen("unix", filepath.Join(dir, "g"))
	if err != nil {
		return nil, fmt.Errorf("openssh engine: agent socket: %w", err)
	}
	return ln, nil
}

// serveAgent turns each connection the engine ssh makes to its agent
// socket (for an auth-agent@openssh.com channel the server opened) into
// that channel on the upstream connection: the master routes it to the
// client whose agent is bound to the connection, as the Go engine's.
// Only this user's processes may connect (the directory is private too).
func (f *engineForwards) serveAgent(ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		if err := sysio.CheckPeer(conn); err != nil {
			f.e.log.Warn("engine agent socket: peer refused", "err", err)
			conn.Close()
			continue
		}
		f.offer(&connNewChannel{conn: conn, chanType: "auth-agent@openssh.com"})
	}
}

// offer passes a channel on with the server's, or closes it once those
// have ended.
func (f *engineForwards) offer(nch *connNewChannel) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	select {
	case <-f.done:
		nch.conn.Close()
	case f.chans <- nch:
	}
}

// control makes one request on a control connection of the engine ssh and
// returns its reply.
func (e *engine) control(req mux.Message) (mux.Message, error) {
	conn, err := net.DialTimeout("unix", e.ctl, engineControlWait)
	if err != nil {
		return nil, fmt.Errorf("engine control: %w", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(engineControlWait))
	if err := mux.Write(conn, &mux.Hello{Version: mux.ProtocolVersion}); err != nil {
		return nil, fmt.Errorf("engine control: %w", err)
	}
	if _, err := mux.Read(conn); err != nil { // the master's hello
		return nil, fmt.Errorf("engine control: %w", err)
	}
	switch r := req.(type) {
	case *mux.OpenForward:
		r.RequestID = 1
	case *mux.CloseForward:
		r.RequestID = 1
	}
	if err := mux.Write(conn, req); err != nil {
		return nil, fmt.Errorf("engine control: %w", err)
	}
	reply, err := mux.Read(conn)
	if err != nil {
		return nil, fmt.Errorf("engine control: %w", err)
	}
	return reply, nil
}

// connNewChannel is a local connection offered as a channel the server
// opened.
type connNewChannel struct {
	conn     net.Conn
	chanType string
	extra    []byte
}

func (c *connNewChannel) ChannelType() string { return c.chanType }
func (c *connNewChannel) ExtraData() []byte   { return c.extra }

// Accept gives the connection as a channel with no requests.
func (c *connNewChannel) Accept() (ssh.Channel, <-chan *ssh.Request, error) {
	reqs := make(chan *ssh.Request)
	close(reqs)
	return connChannel{c.conn}, reqs, nil
}

// Reject closes the connection: the engine ssh closes its channel.
func (c *connNewChannel) Reject(ssh.RejectionReason, string) error { return c.conn.Close() }

// connChannel is a local connection as an ssh.Channel: data only, no
// stderr, no requests.
type connChannel struct{ conn net.Conn }

func (c connChannel) Read(p []byte) (int, error)  { return c.conn.Read(p) }
func (c connChannel) Write(p []byte) (int, error) { return c.conn.Write(p) }
func (c connChannel) Close() error                { return c.conn.Close() }

// CloseWrite sends EOF.
func (c connChannel) CloseWrite() error {
	if cw, ok := c.conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// SendRequest refuses: a forwarded connection takes none.
func (c connChannel) SendRequest(string, bool, []byte) (bool, error) { return false, nil }

// Stderr is empty.
func (c connChannel) Stderr() io.ReadWriter { return noStderr{} }

// noStderr reads end of file and takes writes away.
type noStderr struct{}

func (noStderr) Read([]byte) (int, error)    { return 0, io.EOF }
func (noStderr) Write(p []byte) (int, error) { return len(p), nil }
