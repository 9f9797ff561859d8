package share

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshshare/sshshare/share/mux"
)

// Remote forwards (-R) over the mux door. The master asks the primary
// upstream for the listener, as for a ProxyCommand client's -R, but owns
// it itself: the server's connections to it are dialled locally by the
// master to the forward's connect side, a host and port or a Unix socket
// path, and spliced. Like the others, the listener is carried to the
// fresh primary after a heal (see carry.go); one the server will not make
// again is dropped from the master's forwards.

// remoteForwardWait bounds how long the master waits for the server's
// answer to a remote forward's request or cancel: a mux client waits
// meanwhile, and so do other forward requests.
const remoteForwardWait = 15 * time.Second

// forwardDialWait bounds the master's dial of a remote forward's connect
// side.
const forwardDialWait = 10 * time.Second

// muxRemote is a remote forward the master owns: the forward as asked,
// and the listener the server made for it. It is the listener's
// forwardOwner in routes.
type muxRemote struct {
	m    *Master
	f    mux.Forward
	key  forwardKey
	gone atomic.Bool // cancelled: no route may be added for it
}

// requestMuxRemote asks the primary upstream for f's listener and routes
// its connections to the master.
func (m *Master) requestMuxRemote(f mux.Forward) (*muxForward, error) {
	r := &muxRemote{m: m, f: f}
	up := m.pool.primary().Conn
	typ, payload, key := remoteForwardRequest(f)
	late := func(ok bool, reply []byte) {
		if k, err := boundKey(f, key, ok, reply); err == nil {
			cancelForward(up, k) // the client has been told it failed
		}
	}
	ok, reply, err := sendRequestWithin(up, typ, payload, remoteForwardWait, late)
	if err == nil {
		r.key, err = boundKey(f, key, ok, reply)
	}
	switch {
	case errors.Is(err, errRemoteRefused):
		return nil, errors.New(remoteFailure(f))
	case err != nil:
		return nil, fmt.Errorf("%s: %w", remoteFailure(f), err)
	}
	m.addForward(r.key, r, up)
	return &muxForward{remote: r}, nil
}

// remoteForwardRequest is the global request for f's listener, and the
// listener's key in routes (a port of 0 is filled in by boundKey). The
// bind address is ssh's: "" (the default) is "localhost", "*" is every
// address, which the request says with "".
func remoteForwardRequest(f mux.Forward) (string, []byte, forwardKey) {
	if f.ListenPort == mux.PortStreamLocal {
		return "streamlocal-forward@openssh.com", ssh.Marshal(streamlocalForwardMsg{f.ListenHost}), forwardKey{addr: f.ListenHost}
	}
	bind := f.ListenHost
	switch bind {
	case "":
		bind = "localhost"
	case "*":
		bind = ""
	}
	return "tcpip-forward", ssh.Marshal(tcpipForwardMsg{bind, f.ListenPort}), forwardKey{bind, f.ListenPort}
}

// errRemoteRefused is a server's no to a listener.
var errRemoteRefused = errors.New("refused")

// errNoBoundPort is a server's yes to a TCP listener on port 0 that does
// not say which port it gave: its connections could not be routed.
var errNoBoundPort = errors.New("the server gave no port")

// boundKey is the key of the listener the server made for f, asked as
// asked, given its answer: for a TCP listener on port 0, with the port
// the server's reply names.
func boundKey(f mux.Forward, asked forwardKey, ok bool, reply []byte) (forwardKey, error) {
	switch {
	case !ok:
		return asked, errRemoteRefused
	case f.ListenPort != 0:
		return asked, nil
	}
	var bound struct{ Port uint32 }
	if ssh.Unmarshal(reply, &bound) != nil || bound.Port == 0 {
		return asked, errNoBoundPort
	}
	asked.port = bound.Port
	return asked, nil
}

// remoteFailure is ssh's line for a refused remote forward.
func remoteFailure(f mux.Forward) string {
	if f.ListenPort == mux.PortStreamLocal {
		return "remote port forwarding failed for listen path " + f.ListenHost
	}
	return "remote port forwarding failed for listen port " + strconv.Itoa(int(f.ListenPort))
}

// sendRequestWithin sends a global request on conn and waits up to d for
// the answer. If none comes in time, it returns an error, and late, if
// set, is called with the answer when it comes.
func sendRequestWithin(conn ssh.Conn, typ string, payload []byte, d time.Duration, late func(ok bool, reply []byte)) (bool, []byte, error) {
	type answer struct {
		ok    bool
		reply []byte
		err   error
	}
	done := make(chan answer, 1)
	timedOut := make(chan struct{})
	go func() {
		ok, reply, err := conn.SendRequest(typ, true, payload)
		done <- answer{ok, reply, err}
		select {
		case <-timedOut:
			if err == nil && late != nil {
				late(ok, reply)
			}
		default:
		}
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case a := <-done:
		return a.ok, a.reply, a.err
	case <-t.C:
		close(timedOut)
		return false, nil, fmt.Errorf("no answer from the server within %v", d)
	}
}

// deliver dials the forward's connect side for a channel the server
// opened on the listener, and splices the two; a failed dial refuses
// the channel with the reason. The connection counts as a client
// meanwhile, so the master does not expire under it.
func (r *muxRemote) deliver(nch ssh.NewChannel) {
	m := r.m
	if !m.admit() {
		nch.Reject(ssh.ConnectionFailed, "the master is exiting")
		return
	}
	defer m.leave()
	conn, err := r.dial()
	if err != nil {
		m.log.Info("mux remote forward: dial failed", "forward", forwardString(r.f), "err", err)
		nch.Reject(ssh.ConnectionFailed, err.Error())
		return
	}
	defer conn.Close()
	ch, reqs, err := nch.Accept()
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	defer ch.Close()
	m.spliceForward(conn, ch)
}

// dial connects to the forward's connect side.
func (r *muxRemote) dial() (net.Conn, error) {
	network, addr := "tcp", net.JoinHostPort(r.f.ConnectHost, strconv.Itoa(int(r.f.ConnectPort)))
	if r.f.ConnectPort == mux.PortStreamLocal {
		network, addr = "unix", r.f.ConnectHost
	}
	ctx, cancel := context.WithTimeout(r.m.ctx, forwardDialWait)
	defer cancel()
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// left reports whether the forward has been cancelled.
func (r *muxRemote) left() bool { return r.gone.Load() }

// forwardLost drops the forward, whose listener could not be carried
// over a heal, from the master's mux forwards: it must not look open.
func (r *muxRemote) forwardLost(forwardKey) {
	r.gone.Store(true)
	r.m.muxFwd.forgetRemote(r)
}
