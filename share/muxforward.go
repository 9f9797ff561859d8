package share

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sync"

	"github.com/sshshare/sshshare/share/mux"
)

// Forwards asked for over the mux door: `ssh -O forward -L/-R/-D`, and
// -L/-R/-D given together with a session. As in OpenSSH's master, the
// master itself holds them: a local forward's (-L, -D) listeners are
// the master's (see muxforward_local.go), and a remote forward's (-R)
// listener on the server is routed to the master, which dials the
// connect side itself (see muxforward_remote.go). The mux door decides
// how long each lives (until `ssh -O cancel`, the end of the session it
// came with, or the master's end); here they are opened and closed.
//
// The master applies ssh's defaults for its own options: GatewayPorts no
// (a forward listens on loopback unless it names an address or "*"),
// StreamLocalBindMask 0177 (a Unix socket is made mode 0600) and
// StreamLocalBindUnlink no (an existing socket path is an error).

// errNoSuchForward is a cancel of a forward that is not open.
var errNoSuchForward = errors.New("no such forward")

// errMuxForwardsEnded is an open after the master has closed its mux
// forwards: it is ending.
var errMuxForwardsEnded = errors.New("the master is exiting")

// errRemoteDynamic refuses -R with no connect side, which asks the
// client to be a SOCKS server for the remote listener.
var errRemoteDynamic = errors.New("remote dynamic forwarding over the mux door is not supported; run ssh without ControlPath")

// muxForwards are the forwards the master holds for mux clients, by the
// forward as asked.
type muxForwards struct {
	// ops serialises opens and closes, so a forward asked for twice at
	// once is set up once. closeAll does not take it: an open that
	// finishes after the master has closed its forwards closes what it
	// made (see add).
	ops sync.Mutex

	mu    sync.Mutex // guards the fields below
	open  map[mux.Forward]*muxForward
	ended bool // closeAll has run
}

// muxForward is one open mux forward: its local listeners (-L, -D), or
// the remote listener the master owns (-R), and how many opens hold it
// (see releaseMuxForward).
type muxForward struct {
	listeners []net.Listener
	remote    *muxRemote
	holders   int // guarded by muxForwards.mu
}

// openMuxForward sets up the forward f for a mux client: listeners for a
// local or dynamic forward, a listener on the server for a remote one. It
// returns the port the server allocated for a remote forward asked with
// port 0 (ssh prints it), else 0. Opening a forward that is already open
// succeeds and does nothing, as in OpenSSH (a remote one asked with port
// 0 gives the port allocated then). The error's text is the reason ssh
// prints.
func (m *Master) openMuxForward(f mux.Forward) (allocated uint32, err error) {
	if err := checkMuxForward(f); err != nil {
		return 0, err
	}
	if m.loggedIn() == nil {
		return 0, errors.New("the master is not logged in")
	}
	fw := &m.muxFwd
	fw.ops.Lock()
	defer fw.ops.Unlock()
	if open, err := fw.hold(f); open != nil || err != nil {
		return open.allocated(f), err
	}
	var open *muxForward
	if f.Kind == mux.ForwardRemote {
		open, err = m.requestMuxRemote(f)
	} else {
		open, err = m.listenMuxForward(f)
	}
	if err != nil {
		return 0, err
	}
	if !fw.add(f, open) {
		m.closeMuxForwardNow(open, false)
		return 0, errMuxForwardsEnded
	}
	m.log.Info("mux forward opened", "forward", forwardString(f))
	return open.allocated(f), nil
}

// closeMuxForward cancels a forward openMuxForward set up, however many
// opens hold it (ssh -O cancel); an unknown one is an error. A remote
// forward's cancel waits for the server's answer (bounded by
// remoteForwardWait), so the listener is gone when it returns.
func (m *Master) closeMuxForward(f mux.Forward) error {
	fw := &m.muxFwd
	fw.ops.Lock()
	defer fw.ops.Unlock()
	open := fw.take(f, true)
	if open == nil {
		return errNoSuchForward
	}
	m.closeMuxForwardNow(open, true)
	m.log.Info("mux forward closed", "forward", forwardString(f))
	return nil
}

// releaseMuxForward lets go of one open of f, made by a control
// connection whose session has ended: f closes when no other open holds
// it. So the same forward asked for by two sessions (a LocalForward in
// the config) outlives the first one's end, and one asked for by
// ssh -O forward, whose opens are never released, stays until cancelled.
// An unknown forward (cancelled meanwhile) is let go silently.
func (m *Master) releaseMuxForward(f mux.Forward) {
	fw := &m.muxFwd
	fw.ops.Lock()
	defer fw.ops.Unlock()
	if open := fw.take(f, false); open != nil {
		m.closeMuxForwardNow(open, true)
		m.log.Info("mux forward closed with its session", "forward", forwardString(f))
	}
}

// closeMuxForwards cancels every mux forward, and any later open fails;
// the master calls it when it ends. It does not wait for the server.
func (m *Master) closeMuxForwards() {
	for _, open := range m.muxFwd.closeAll() {
		m.closeMuxForwardNow(open, false)
	}
}

// closeMuxForwardNow closes an open forward's listeners, or cancels its
// remote listener on the connection that holds it, waiting for the
// server's answer if wait is set. Connections already made carry on until
// either end closes them, as in OpenSSH.
func (m *Master) closeMuxForwardNow(open *muxForward, wait bool) {
	for _, ln := range open.listeners {
		ln.Close()
	}
	if r := open.remote; r != nil {
		r.gone.Store(true)
		on, carrying, found := m.routes.cancel(r.key)
		switch {
		case !found:
		case carrying || !wait:
			cancelForward(on, r.key) // a carried one is cancelled again where it lands
		default:
			typ, payload := cancelRequest(r.key)
			ok, _, err := sendRequestWithin(on, typ, payload, remoteForwardWait, nil)
			if err != nil || !ok {
				m.log.Warn("the server did not cancel a remote forward", "forward", r.key.String(), "err", err)
			}
		}
	}
}

// allocated is the port the server allocated for f, a remote forward
// asked with port 0; else 0.
func (open *muxForward) allocated(f mux.Forward) uint32 {
	if open == nil || open.remote == nil || f.ListenPort != 0 {
		return 0
	}
	return open.remote.key.port
}

// find returns f's open forward, if any; it fails once closeAll has run.
func (fw *muxForwards) find(f mux.Forward) (*muxForward, error) {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	if fw.ended {
		return nil, errMuxForwardsEnded
	}
	return fw.open[f], nil
}

// hold is find, counting one more open of the forward it returns.
func (fw *muxForwards) hold(f mux.Forward) (*muxForward, error) {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	if fw.ended {
		return nil, errMuxForwardsEnded
	}
	open := fw.open[f]
	if open != nil {
		open.holders++
	}
	return open, nil
}

// add records f's open forward, held by one open, unless closeAll has run
// (then it reports false and the caller closes it).
func (fw *muxForwards) add(f mux.Forward, open *muxForward) bool {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	if fw.ended {
		return false
	}
	if fw.open == nil {
		fw.open = make(map[mux.Forward]*muxForward)
	}
	open.holders = 1
	fw.open[f] = open
	return true
}

// take forgets f's open forward and returns it: always if all is set,
// else only once no open holds it any more (the one let go was the last).
// It returns nil if f is not open, or still held.
func (fw *muxForwards) take(f mux.Forward, all bool) *muxForward {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	open := fw.open[f]
	if open == nil {
		return nil
	}
	if open.holders--; !all && open.holders > 0 {
		return nil
	}
	delete(fw.open, f)
	return open
}

// closeAll forgets every open forward and returns them; no forward is
// added after it.
func (fw *muxForwards) closeAll() []*muxForward {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	fw.ended = true
	var all []*muxForward
	for f, open := range fw.open {
		all = append(all, open)
		delete(fw.open, f)
	}
	return all
}

// forgetRemote forgets the remote forward r, whose listener was lost in a
// heal, if it is still open.
func (fw *muxForwards) forgetRemote(r *muxRemote) {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	if open := fw.open[r.f]; open != nil && open.remote == r {
		delete(fw.open, r.f)
	}
}

// listening counts the open local and dynamic forwards, for status;
// remote ones are counted with the other remote listeners (routes.count).
func (fw *muxForwards) listening() int {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	n := 0
	for _, open := range fw.open {
		if open.remote == nil {
			n++
		}
	}
	return n
}

// checkMuxForward refuses a forward that cannot be set up as asked, with
// the reason.
func checkMuxForward(f mux.Forward) error {
	switch {
	case f.Kind != mux.ForwardLocal && f.Kind != mux.ForwardRemote && f.Kind != mux.ForwardDynamic:
		return fmt.Errorf("invalid forwarding type %d", f.Kind)
	case f.Kind == mux.ForwardDynamic && f.ListenPort == mux.PortStreamLocal:
		return errors.New("a dynamic forward cannot listen on a Unix socket")
	case f.ListenPort != mux.PortStreamLocal && f.ListenPort > 65535:
		return fmt.Errorf("invalid listen port %d", f.ListenPort)
	case f.ConnectPort != mux.PortStreamLocal && f.ConnectPort > 65535:
		return fmt.Errorf("invalid connect port %d", f.ConnectPort)
	case f.Kind == mux.ForwardRemote && f.ConnectPort == 0:
		return errRemoteDynamic
	case f.Kind == mux.ForwardLocal && (f.ConnectHost == "" || f.ConnectPort == 0):
		return errors.New("missing connect host or port")
	case f.Kind == mux.ForwardRemote && f.ConnectHost == "":
		return errors.New("missing connect host")
	}
	// The master's working directory is not the client's: a relative
	// path the master would open itself cannot mean what the user meant.
	if f.Kind == mux.ForwardLocal && f.ListenPort == mux.PortStreamLocal && !filepath.IsAbs(f.ListenHost) {
		return fmt.Errorf("listen path %s: a Unix socket path over the mux door must be absolute", f.ListenHost)
	}
	if f.Kind == mux.ForwardRemote && f.ConnectPort == mux.PortStreamLocal && !filepath.IsAbs(f.ConnectHost) {
		return fmt.Errorf("connect path %s: a Unix socket path over the mux door must be absolute", f.ConnectHost)
	}
	return nil
}

// forwardString names f as ssh's command line would: -L 8080:db:5432,
// -R /remote.sock:/local.sock, -D 1080.
func forwardString(f mux.Forward) string {
	side := func(host string, port uint32) string {
		switch {
		case port == mux.PortStreamLocal:
			return host
		case host == "":
			return fmt.Sprint(port)
		}
		return net.JoinHostPort(host, fmt.Sprint(port))
	}
	flag := map[mux.ForwardType]string{mux.ForwardLocal: "-L ", mux.ForwardRemote: "-R ", mux.ForwardDynamic: "-D "}[f.Kind]
	if f.Kind == mux.ForwardDynamic {
		return flag + side(f.ListenHost, f.ListenPort)
	}
	return flag + side(f.ListenHost, f.ListenPort) + ":" + side(f.ConnectHost, f.ConnectPort)
}
