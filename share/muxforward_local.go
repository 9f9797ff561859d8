package share

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshshare/sshshare/share/mux"
	"github.com/sshshare/sshshare/tokens"
)

// Local (-L) and dynamic (-D) forwards over the mux door: the master
// listens, and each connection it accepts is carried over a channel it
// opens on the primary upstream (tried again once after a heal, as the
// ProxyCommand door's channels are): direct-tcpip to the connect side, or
// direct-streamlocal to a Unix socket path, or, for -D, direct-tcpip to
// where the connection's SOCKS request asks. A refused channel closes the
// connection (a SOCKS one hears the refusal first).

// socksWait bounds a dynamic forward's SOCKS exchange, so a connection
// that says nothing does not hold the master.
const socksWait = 30 * time.Second

// muxForwardPending caps the connections of one local or dynamic forward
// that wait for their channel (or, for -D, their SOCKS request); beyond
// it the listener stops accepting until one is served.
const muxForwardPending = 64

// listenMuxForward listens for a local or dynamic forward and serves its
// connections until the listeners close.
func (m *Master) listenMuxForward(f mux.Forward) (*muxForward, error) {
	var lns []net.Listener
	if f.ListenPort == mux.PortStreamLocal {
		ln, err := listenUnixForward(f.ListenHost)
		if err != nil {
			return nil, err
		}
		lns = []net.Listener{ln}
	} else {
		var err error
		if lns, err = listenTCPForward(bindHosts(f.ListenHost, m.gatewayPorts()), f.ListenPort); err != nil {
			return nil, err
		}
	}
	for _, ln := range lns {
		go m.serveMuxListener(ln, f)
	}
	return &muxForward{listeners: lns}, nil
}

// loopbackHosts are the addresses a forward listens on by default: both
// loopbacks, where the system has them.
var loopbackHosts = []string{"127.0.0.1", "::1"}

// bindHosts are the addresses a local or dynamic forward asked for on
// host listens on, as ssh decides them (channels.c,
// channel_fwd_bind_addr): with GatewayPorts no, only loopback, whatever
// address was asked for except 127.0.0.1 or ::1 by name; with
// GatewayPorts yes, every address for "" and "*", loopback for
// "localhost", else host itself. The mux door must never listen wider
// than ssh would have.
func bindHosts(host string, gatewayPorts bool) []string {
	switch {
	case host == "127.0.0.1" || host == "::1":
		return []string{host}
	case !gatewayPorts, host == "localhost":
		return loopbackHosts
	case host == "" || host == "*":
		return []string{""}
	}
	return []string{host}
}

// gatewayPorts is the GatewayPorts of the master's view of the host.
func (m *Master) gatewayPorts() bool {
	return m.dialer != nil && m.dialer.Config.GatewayPorts
}

// listenTCPForward listens on port at each of hosts (see bindHosts). It
// succeeds if one of them could be bound, as ssh does (a system without
// IPv6 has no ::1); else it returns the first failure.
// A port of 0 takes the one the first listener was given for the others.
func listenTCPForward(hosts []string, port uint32) ([]net.Listener, error) {
	var lns []net.Listener
	var first error
	for _, h := range hosts {
		addr := net.JoinHostPort(h, strconv.Itoa(int(port)))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			if first == nil {
				first = bindError(addr, err)
			}
			continue
		}
		if port == 0 {
			port = uint32(ln.Addr().(*net.TCPAddr).Port)
		}
		lns = append(lns, ln)
	}
	if len(lns) == 0 {
		return nil, first
	}
	return lns, nil
}

// bindError is a failed listen on addr, in one line as ssh would say it:
// "bind 127.0.0.1:8080: address already in use".
func bindError(addr string, err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return fmt.Errorf("bind %s: %w", addr, errno)
	}
	return fmt.Errorf("bind %s: %w", addr, err)
}

// listenUnixForward listens on the Unix socket path, mode 0600. An
// existing path is an error. The socket is made under a temporary name
// beside path, given its mode there and then linked to path, so it is
// never reachable with a wider mode and never replaces a file; when that
// temporary name would be too long for a socket, it is made at path and
// its mode set at once.
func listenUnixForward(path string) (*publishedListener, error) {
	tmp := tokens.SiblingPath(path, "")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		// Most likely too long a name; path itself is tried below.
		return listenUnixInPlace(path)
	}
	ln.SetUnlinkOnClose(false)
	defer os.Remove(tmp)
	if err := os.Chmod(tmp, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("chmod %s: %w", tmp, err)
	}
	if err := os.Link(tmp, path); err != nil {
		ln.Close()
		if errors.Is(err, os.ErrExist) {
			return nil, bindError(path, syscall.EADDRINUSE)
		}
		return nil, bindError(path, err)
	}
	return publishedUnix(ln, path)
}

// listenUnixInPlace listens on path itself and sets its mode to 0600.
func listenUnixInPlace(path string) (*publishedListener, error) {
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, bindError(path, err)
	}
	ln.SetUnlinkOnClose(false)
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		os.Remove(path)
		return nil, fmt.Errorf("chmod %s: %w", path, err)
	}
	return publishedUnix(ln, path)
}

// publishedUnix is ln, listening at path, as a listener that removes path
// when it closes, unless path has been replaced meanwhile.
func publishedUnix(ln *net.UnixListener, path string) (*publishedListener, error) {
	info, err := os.Stat(path)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	return &publishedListener{Listener: ln, path: path, info: info}, nil
}

// serveMuxListener carries each connection ln accepts over a channel,
// until ln closes or the master ends.
func (m *Master) serveMuxListener(ln net.Listener, f mux.Forward) {
	pending := make(chan struct{}, muxForwardPending)
	err := acceptLoop(m.ctx, ln, pending, m.log, func(conn net.Conn, release func()) {
		go m.forwardMuxConn(conn, f, release)
	})
	if err != nil {
		m.log.Warn("mux forward stopped accepting", "forward", forwardString(f), "err", err)
		m.noteError(fmt.Sprintf("forward %s stopped accepting: %v", forwardString(f), err))
	}
	ln.Close()
}

// forwardMuxConn carries one connection to a local or dynamic forward's
// listener over a channel, until both ends have closed or the master
// ends. It counts as a client meanwhile, so the master does not expire
// under it. release frees its place among the forward's pending
// connections once its channel is open.
func (m *Master) forwardMuxConn(conn net.Conn, f mux.Forward, release func()) {
	defer conn.Close()
	if !m.admit() {
		release()
		return
	}
	defer m.leave()
	ch, err := m.openMuxChannel(conn, f)
	release()
	if err != nil {
		m.log.Info("mux forward: no channel for a connection", "forward", forwardString(f), "err", err)
		return
	}
	defer ch.Close()
	m.spliceForward(conn, ch)
}

// openMuxChannel opens the channel for a connection to f's listener. For
// a dynamic forward it reads the connection's SOCKS request first and
// answers it once the server has answered the open.
func (m *Master) openMuxChannel(conn net.Conn, f mux.Forward) (ssh.Channel, error) {
	if f.Kind != mux.ForwardDynamic {
		chanType, extra := directChannel(f.ConnectHost, f.ConnectPort, conn.RemoteAddr())
		return m.openForwardChannel(chanType, extra)
	}
	conn.SetDeadline(time.Now().Add(socksWait))
	req, err := readSocksRequest(conn)
	if err != nil {
		return nil, err
	}
	chanType, extra := directChannel(req.host, uint32(req.port), conn.RemoteAddr())
	ch, err := m.openForwardChannel(chanType, extra)
	if aerr := req.answer(conn, err); err == nil && aerr != nil {
		ch.Close()
		return nil, fmt.Errorf("answer socks request for %s: %w", req.target(), aerr)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", req.target(), err)
	}
	conn.SetDeadline(time.Time{})
	return ch, nil
}

// openForwardChannel opens a channel on the primary upstream, again once
// if the open found it dead and the master healed it, and discards the
// channel's requests (a forwarded connection has none).
func (m *Master) openForwardChannel(chanType string, extra []byte) (ssh.Channel, error) {
	ch, reqs, err := m.openRetried(chanType, extra)
	if err != nil {
		return nil, err
	}
	go ssh.DiscardRequests(reqs)
	return ch, nil
}

// directChannel is the channel open for a connection from origin to
// host:port, or to the Unix socket path host if port is
// mux.PortStreamLocal.
func directChannel(host string, port uint32, origin net.Addr) (string, []byte) {
	if port == mux.PortStreamLocal {
		return "direct-streamlocal@openssh.com", ssh.Marshal(streamlocalMsg{Path: host})
	}
	originHost, originPort := "127.0.0.1", uint32(65535) // a Unix socket's peer has no address: ssh says this
	if a, ok := origin.(*net.TCPAddr); ok {
		originHost, originPort = a.IP.String(), uint32(a.Port)
	}
	return "direct-tcpip", ssh.Marshal(directTCPIPMsg{Host: host, Port: port, OriginHost: originHost, OriginPort: originPort})
}

// spliceForward copies between a forwarded connection and its channel
// until both directions have ended, counting the channel and its bytes
// for status; the master's end closes the connection.
func (m *Master) spliceForward(conn net.Conn, ch ssh.Channel) {
	stop := context.AfterFunc(m.ctx, func() { conn.Close() })
	defer stop()
	m.stats.channels.Add(1)
	defer m.stats.channels.Add(-1)
	m.spliceChannel(conn, ch)
}
