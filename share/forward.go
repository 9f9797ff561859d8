package share

import (
	"errors"
	"fmt"
	"strconv"
	"sync"

	"golang.org/x/crypto/ssh"
)

// Remote forwards (-R) and the channels the server opens for them.
//
// A tcpip-forward or streamlocal-forward request is sent on the primary
// upstream connection; the forwarded-tcpip / forwarded-streamlocal channels
// sshd then opens are routed back to the client that asked, matched on the
// exact bind address and port of the request (x/crypto's Listen helpers
// would claim them, so the master dispatches them itself). Agent and X11
// channels carry no session id; agentfwd.go says where they go.

// forwardKey names a remote listener: host and port, or a socket path.
// Port 0 means a socket path: a TCP listener is recorded only with the
// port the server holds (see tcpipForward), so it is asked for again as
// TCP after a heal.
type forwardKey struct {
	addr string
	port uint32
}

// tcpipForwardMsg is the payload of tcpip-forward and cancel-tcpip-forward.
type tcpipForwardMsg struct {
	Addr string
	Port uint32
}

// streamlocalForwardMsg is the payload of streamlocal-forward@openssh.com.
type streamlocalForwardMsg struct {
	Path string
}

// forwardedTCPIPMsg is the extra data of a forwarded-tcpip channel open.
type forwardedTCPIPMsg struct {
	Addr       string
	Port       uint32
	OriginAddr string
	OriginPort uint32
}

// forwardedStreamlocalMsg is the extra data of forwarded-streamlocal.
type forwardedStreamlocalMsg struct {
	Path     string
	Reserved string
}

// String names the listener as ssh's -R does: host:port, or the path.
func (k forwardKey) String() string {
	if k.port == 0 {
		return k.addr
	}
	return k.addr + ":" + strconv.Itoa(int(k.port))
}

// forwardOwner is what a remote listener's connections go to: the local
// client of the ProxyCommand door that asked for it, or the master itself
// for a forward asked for over the mux door (see muxRemote).
type forwardOwner interface {
	// deliver takes a channel the server opened for the listener.
	deliver(nch ssh.NewChannel)
	// left reports whether the owner has gone: no route may be added for
	// it any more.
	left() bool
	// forwardLost says that the listener k could not be carried over a
	// heal: whatever relies on it must not look live.
	forwardLost(k forwardKey)
}

// remoteForward is one remote listener: the owner it forwards to, the
// upstream connection that holds it, and whether it is being carried to a
// fresh connection after a heal (see carryForwards), when it is not live,
// and a carryForward is asking for it now (taken).
type remoteForward struct {
	owner    forwardOwner
	on       ssh.Conn
	carrying bool
	taken    bool
}

// routes maps remote listeners to their owners, and agent/X11 requests to
// local clients.
type routes struct {
	mu       sync.Mutex
	forwards map[forwardKey]*remoteForward
	agents   map[ssh.Conn]*agentRoute // the agent each upstream connection forwards
	x11      []x11Route               // the X11 cookies of clients' sessions
}

func newRoutes() *routes {
	return &routes{forwards: make(map[forwardKey]*remoteForward), agents: make(map[ssh.Conn]*agentRoute)}
}

// add records that o owns the remote listener k, held by the upstream
// connection on, unless o has left (then it reports false and the caller
// cancels the listener).
func (r *routes) add(k forwardKey, o forwardOwner, on ssh.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if o.left() {
		return false
	}
	r.forwards[k] = &remoteForward{owner: o, on: on}
	return true
}

// cancel forgets the remote listener k for a client's cancel and says
// which connection holds it and whether it is being carried after a heal.
// found is false when no client holds k. A carried listener's request
// finds its entry gone when it lands and cancels it there (see
// carryForward), so a cancel during a heal is not lost.
func (r *routes) cancel(k forwardKey) (on ssh.Conn, carrying, found bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, ok := r.forwards[k]
	if !ok {
		return nil, false, false
	}
	delete(r.forwards, k)
	return f.on, f.carrying, true
}

// owner finds the owner of a listener: exact match, else by port alone
// (sshd may report a normalised bind address).
func (r *routes) owner(k forwardKey) forwardOwner {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f, ok := r.forwards[k]; ok {
		return f.owner
	}
	if k.port == 0 {
		return nil
	}
	for fk, f := range r.forwards {
		if fk.port == k.port {
			return f.owner
		}
	}
	return nil
}

// count is the number of live remote listeners: those being asked for
// again after a heal are not, until the server has said yes.
func (r *routes) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, f := range r.forwards {
		if !f.carrying {
			n++
		}
	}
	return n
}

// drop forgets every route of a client that has gone and returns its
// remote listeners with the connection each is on, for the caller to
// cancel there. A listener being carried is cancelled again where it
// lands (see carryForward).
func (r *routes) drop(c *client) map[forwardKey]ssh.Conn {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dropAgentX11(c)
	dropped := make(map[forwardKey]ssh.Conn)
	for k, f := range r.forwards {
		if f.owner == c {
			dropped[k] = f.on
			delete(r.forwards, k)
		}
	}
	return dropped
}

// routeServerChannel finds where a channel the server opened on the
// upstream connection on goes: a remote listener's owner, or the local
// client whose agent the connection forwards. X11 channels are routed by
// their cookie instead (see Master.routeX11).
func (r *routes) routeServerChannel(on ssh.Conn, nch ssh.NewChannel) (forwardOwner, error) {
	switch nch.ChannelType() {
	case "forwarded-tcpip":
		var m forwardedTCPIPMsg
		if err := ssh.Unmarshal(nch.ExtraData(), &m); err != nil {
			return nil, fmt.Errorf("parse forwarded-tcpip: %w", err)
		}
		return r.found(r.owner(forwardKey{m.Addr, m.Port}), "remote forward "+m.Addr+":"+strconv.Itoa(int(m.Port)))
	case "forwarded-streamlocal@openssh.com":
		var m forwardedStreamlocalMsg
		if err := ssh.Unmarshal(nch.ExtraData(), &m); err != nil {
			return nil, fmt.Errorf("parse forwarded-streamlocal: %w", err)
		}
		return r.found(r.owner(forwardKey{addr: m.Path}), "remote forward "+m.Path)
	case "auth-agent@openssh.com":
		if c := r.agentFor(on); c != nil {
			return c, nil
		}
		return nil, errors.New("no live client for the agent forwarded on this upstream connection")
	}
	return nil, fmt.Errorf("unexpected channel type %q from server", nch.ChannelType())
}

// found turns a missing owner into an error naming what was sought.
func (r *routes) found(o forwardOwner, what string) (forwardOwner, error) {
	if o == nil {
		return nil, fmt.Errorf("no live client for %s", what)
	}
	return o, nil
}
