package share

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/ssh"
)

// Remote forwards across a heal. A -R listener lives in the server's
// session for one upstream connection; when a heal replaces that
// connection, the listener is gone with it. The master asks the fresh
// primary for each again, for its owner (the client that asked, or the
// master for a mux forward), so the forward answers again and its ssh
// sees nothing. A listener the server will not make again (the old
// session still holds the port, as after a network change the server has
// not noticed) ends its client's connection, or is dropped from the
// master's mux forwards: plain ssh would have ended with its upstream,
// and a forward that cannot answer must not look live. While a listener is being asked for again,
// status does not count it. A client that cancels it or leaves meanwhile
// takes its entry out of routes; the request, when it lands, finds the
// entry gone and cancels the listener it made. If the fresh connection
// dies during the request (a heal during a heal), the listener is not
// lost: the next primary is asked for it.

// carryWait bounds how long a refused listener is asked for again: the
// server's old session may take a moment to go and free the port.
const carryWait = 5 * time.Second

// carryRetry is the pause between those requests.
const carryRetry = 250 * time.Millisecond

// errForwardRefused is a listener the server would not make again.
var errForwardRefused = errors.New("the server refused the listener")

// strandedForward is a remote listener held by a connection that is no
// longer the primary.
type strandedForward struct {
	key   forwardKey
	entry *remoteForward // its entry in routes, while it is still wanted
	owner forwardOwner
	old   ssh.Conn
}

// carryForwards asks up, the primary, for every remote listener held by
// another connection; see the comment at the top. The listeners stop
// counting as live before it returns; the requests go on in the
// background. Each listener is taken by one call only.
func (m *Master) carryForwards(up ssh.Conn) {
	for _, f := range m.routes.stranded(up) {
		go m.carryForward(up, f)
	}
}

// carryForward asks up for one stranded listener and settles its route.
func (m *Master) carryForward(up ssh.Conn, f strandedForward) {
	err := m.requestForward(up, f.key)
	switch {
	case err == nil && m.routes.landed(f.key, f.entry, up):
		// The old connection may live on, retired: its listener must not
		// take the forward's connections.
		cancelForward(f.old, f.key)
		m.log.Info("remote forward carried over to the fresh upstream", "forward", f.key.String())
		m.carryAgain(up)
	case err == nil:
		cancelForward(up, f.key) // cancelled, or its owner left, meanwhile
	case !errors.Is(err, errForwardRefused) && m.ctx.Err() == nil && m.routes.unstranded(f.key, f.entry):
		// up died under the request: the heal that replaces it, or the
		// one that already has, carries the listener.
		m.log.Info("fresh upstream lost while carrying a remote forward; trying the next", "forward", f.key.String(), "err", err)
		m.carryAgain(up)
	case m.routes.lost(f.key, f.entry):
		m.log.Warn("remote forward lost in a heal", "forward", f.key.String(), "err", err)
		m.noteError(fmt.Sprintf("remote forward %s lost in a heal: %v", f.key, err))
		f.owner.forwardLost(f.key)
	}
}

// carryAgain carries the stranded listeners to the primary if a heal has
// replaced up meanwhile.
func (m *Master) carryAgain(up ssh.Conn) {
	if primary := m.pool.primary().Conn; primary != up {
		m.carryForwards(primary)
	}
}

// requestForward asks up for the listener k, again while the server
// refuses it, for up to carryWait.
func (m *Master) requestForward(up ssh.Conn, k forwardKey) error {
	reqType, payload := "tcpip-forward", ssh.Marshal(tcpipForwardMsg{k.addr, k.port})
	if k.port == 0 {
		reqType, payload = "streamlocal-forward@openssh.com", ssh.Marshal(streamlocalForwardMsg{k.addr})
	}
	deadline := time.Now().Add(carryWait)
	for {
		ok, _, err := up.SendRequest(reqType, true, payload)
		switch {
		case err != nil:
			return err
		case ok:
			return nil
		case time.Now().After(deadline):
			return errForwardRefused
		}
		select {
		case <-time.After(carryRetry):
		case <-m.ctx.Done():
			return context.Cause(m.ctx)
		}
	}
}

// cancelForward asks conn to close the listener k, without waiting for
// the answer.
func cancelForward(conn ssh.Conn, k forwardKey) {
	if conn == nil {
		return
	}
	typ, payload := cancelRequest(k)
	conn.SendRequest(typ, false, payload)
}

// cancelRequest is the global request that closes the listener k.
func cancelRequest(k forwardKey) (string, []byte) {
	if k.port == 0 {
		return "cancel-streamlocal-forward@openssh.com", ssh.Marshal(streamlocalForwardMsg{k.addr})
	}
	return "cancel-tcpip-forward", ssh.Marshal(tcpipForwardMsg{k.addr, k.port})
}

// stranded lists the listeners held by a connection other than up and
// marks them as being carried: not live until landed.
func (r *routes) stranded(up ssh.Conn) []strandedForward {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []strandedForward
	for k, f := range r.forwards {
		if f.on != up && !f.taken {
			f.carrying, f.taken = true, true
			out = append(out, strandedForward{key: k, entry: f, owner: f.owner, old: f.on})
		}
	}
	return out
}

// landed records that up now holds the listener k for its entry, unless
// the entry has gone meanwhile (its client cancelled it or left): then it
// reports false.
func (r *routes) landed(k forwardKey, entry *remoteForward, up ssh.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.forwards[k] != entry {
		return false
	}
	entry.on, entry.carrying, entry.taken = up, false, false
	return true
}

// unstranded lets the next carryForwards take the listener k again, unless
// its entry has gone (then it reports false). It is still not live.
func (r *routes) unstranded(k forwardKey, entry *remoteForward) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.forwards[k] != entry {
		return false
	}
	entry.taken = false
	return true
}

// lost forgets the listener k, which no connection holds, and reports
// whether it was still wanted (its entry had not gone).
func (r *routes) lost(k forwardKey, entry *remoteForward) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.forwards[k] != entry {
		return false
	}
	delete(r.forwards, k)
	return true
}
