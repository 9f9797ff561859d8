package share

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/sshshare/sshshare/share/upstream"
	"github.com/sshshare/sshshare/share/vis"
)

// Forwarded agents and X11 displays.
//
// sshd opens one agent listener per connection, at the first
// auth-agent-req of any session on it, and the auth-agent@openssh.com
// channels it opens when a remote process uses that listener carry no
// session id. So an agent belongs to an upstream connection, not to a
// session: each upstream connection forwards at most one agent, that of
// the first local ssh whose session asked for it there, and its agent
// channels go to that ssh (or, once it has left, to another live ssh that
// forwarded the same agent there). A session whose ssh forwards a
// different agent is moved, before it starts, to an upstream connection
// that forwards that agent or none yet (a pooled one, logging in once
// more if need be); if no such connection can be had, the session runs
// without agent forwarding and its ssh is told why.
//
// Which agents are "the same": the master cannot see a local ssh's
// SSH_AUTH_SOCK, so it asks the forwarded agent itself (through the
// client's own agent forwarding, once per ssh) for its public keys. An
// agent is known by that key set, and two ssh forward the same agent when
// their sets share a key: an agent that gained or lost keys between two
// ssh (ssh-add, a key's lifetime ending) still matches itself, so the
// common case, one agent and many `ssh -A`, needs no further login. The
// trade-off: an agent that lists one of another's public keys (any
// process of the user can copy public keys) is taken for it, and may get
// sign requests made from the first one's remote sessions. It sees what
// is to be signed and can refuse, but cannot sign with keys it lacks. An
// agent that lists no keys (empty, locked) or cannot be listed matches no
// other: it is forwarded only on a connection no other live ssh forwards
// an agent on.
//
// A connection whose agent's ssh have all left keeps that agent's keys:
// sshd's listener stays, and a process the last one left behind on the
// server (nohup, a daemon) may still use it, so only an agent that shares
// a key with one forwarded there may bind it again, never another agent.
//
// Any session on a connection that forwards an agent (sshd sets
// SSH_AUTH_SOCK in every session started after the listener was opened,
// with or without -A) can use that agent, as with ControlMaster.
//
// X11 channels carry no session id either, but each carries its
// session's cookie in its first bytes, the X11 connection setup, and
// each ssh forwarding X11 chooses its own (fake) cookie. So the master
// reads the setup and hands the channel to the ssh whose x11-req carried
// that cookie; a channel with an unknown cookie is refused. The ssh then
// checks the cookie again and replaces it with the display's own.

// agentRoute is the agent an upstream connection forwards: the live
// owners that forwarded it there, oldest first, each with its agent's
// keys when it did. Their key sets together are the agent's; with no
// owner, the keys every owner bound there listed (past) decide.
type agentRoute struct {
	clients []agentClient
	past    keySet // every key listed by an owner bound here, gone or not
}

// agentOwner is where a forwarded agent is: a client of the ProxyCommand
// door, whose ssh forwards it over the local hop, or a mux session's
// client, whose agent socket the master reaches itself (muxagent.go). The
// server's agent channels are delivered to it (forwardOwner.deliver).
type agentOwner interface {
	forwardOwner
	// forwardedKeys is the key set of the agent, asked once.
	forwardedKeys() keySet
}

// agentClient is an owner bound to a connection's agent.
type agentClient struct {
	c    agentOwner
	keys keySet
}

// keySet is the set of public keys an agent lists, each known by the
// SHA-256 of its blob.
type keySet map[[sha256.Size]byte]struct{}

// overlaps reports whether the two sets share a key. An empty set
// overlaps nothing.
func (k keySet) overlaps(o keySet) bool {
	for h := range k {
		if _, ok := o[h]; ok {
			return true
		}
	}
	return false
}

// fits reports whether keys may be forwarded where a forwards its agent:
// nobody ever forwarded one there, or a live client's agent shares a key,
// or, with every such client gone, an agent that was forwarded there did.
func (a *agentRoute) fits(keys keySet) bool {
	if a == nil {
		return true
	}
	if len(a.clients) == 0 {
		return a.past.overlaps(keys)
	}
	return slices.ContainsFunc(a.clients, func(b agentClient) bool { return b.keys.overlaps(keys) })
}

// x11Route is a client's X11 cookie, from its x11-req.
type x11Route struct {
	proto  string
	cookie []byte
	owner  *client
}

// agentQueryWait bounds how long the master waits for a client's agent to
// list its keys.
const agentQueryWait = 5 * time.Second

// x11SetupWait bounds how long an X11 channel may take to send its
// connection setup.
const x11SetupWait = 30 * time.Second

// bindAgent records that c forwards its agent, whose keys are keys, on
// the upstream connection on, and reports false if that connection
// forwards another agent now. The first binding of a connection also
// watches it, so its entry goes when it closes, whenever that is.
func (r *routes) bindAgent(on ssh.Conn, c agentOwner, keys keySet) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.agents[on]
	if !a.fits(keys) {
		return false
	}
	if a == nil {
		a = &agentRoute{}
		r.agents[on] = a
		// The connection may have closed already, its forgetConn run:
		// this forgets the entry made after it.
		go func() {
			on.Wait()
			r.forgetConn(on)
		}()
	}
	i := slices.IndexFunc(a.clients, func(b agentClient) bool { return b.c == c })
	switch {
	case c.left():
	case i < 0:
		a.clients = append(a.clients, agentClient{c, keys})
	default:
		a.clients[i].keys = keys
	}
	if a.past == nil {
		a.past = make(keySet)
	}
	maps.Copy(a.past, keys)
	return true
}

// agentFits reports whether an agent with these keys may be forwarded on
// the upstream connection on (see agentRoute.fits).
func (r *routes) agentFits(on ssh.Conn, keys keySet) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.agents[on].fits(keys)
}

// agentFor is the owner whose agent answers the agent channels of the
// upstream connection on, or nil.
func (r *routes) agentFor(on ssh.Conn) agentOwner {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a := r.agents[on]; a != nil && len(a.clients) > 0 {
		return a.clients[0].c
	}
	return nil
}

// forgetConn forgets the agent of an upstream connection that has closed.
func (r *routes) forgetConn(on ssh.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.agents, on)
}

// dropAgentX11 forgets c's agents and X11 cookies. A connection whose
// agent's clients have all gone keeps their keys (agentRoute.past): only
// the same agent may bind it again. r.mu must be held.
func (r *routes) dropAgentX11(c *client) {
	r.dropAgentLocked(c)
	r.x11 = slices.DeleteFunc(r.x11, func(x x11Route) bool { return x.owner == c })
}

// dropAgent forgets the agent of an owner that has gone.
func (r *routes) dropAgent(o agentOwner) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dropAgentLocked(o)
}

// dropAgentLocked is dropAgent with r.mu held.
func (r *routes) dropAgentLocked(o agentOwner) {
	for _, a := range r.agents {
		a.clients = slices.DeleteFunc(a.clients, func(b agentClient) bool { return b.c == o })
	}
}

// wantX11 records the cookie of c's x11-req.
func (r *routes) wantX11(c *client, payload []byte) {
	var m struct {
		Single bool
		Proto  string
		Cookie string
		Screen uint32
	}
	if ssh.Unmarshal(payload, &m) != nil {
		return
	}
	cookie, err := hex.DecodeString(m.Cookie)
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	known := slices.ContainsFunc(r.x11, func(x x11Route) bool {
		return x.owner == c && x.proto == m.Proto && bytes.Equal(x.cookie, cookie)
	})
	if !known && !c.gone.Load() { // ssh uses one cookie for all its sessions
		r.x11 = append(r.x11, x11Route{proto: m.Proto, cookie: cookie, owner: c})
	}
}

// x11For is the live client whose session asked for X11 with this
// cookie, or nil.
func (r *routes) x11For(proto string, cookie []byte) *client {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.x11 {
		if x.proto == proto && bytes.Equal(x.cookie, cookie) {
			return x.owner
		}
	}
	return nil
}

// forwardedKeys is the key set of the agent c forwards, asking it once.
// An agent that cannot be listed has an empty set.
func (c *client) forwardedKeys() keySet {
	c.agentOnce.Do(func() {
		keys, err := c.listAgent()
		if err != nil {
			c.m.log.Info("forwarded agent not listed; it matches no other", "err", err)
		}
		c.agentKeys = keys
	})
	return c.agentKeys
}

// listAgent opens an agent channel to c, as sshd would, and returns the
// public keys its agent lists, giving up after agentQueryWait.
func (c *client) listAgent() (keySet, error) {
	type listed struct {
		keys keySet
		err  error
	}
	done := make(chan listed, 1)
	go func() {
		keys, err := c.listAgentKeys()
		done <- listed{keys, err}
	}()
	t := time.NewTimer(agentQueryWait)
	defer t.Stop()
	select {
	case l := <-done:
		return l.keys, l.err
	case <-t.C:
		return nil, fmt.Errorf("the forwarded agent did not list its keys within %v", agentQueryWait)
	case <-c.ctx.Done():
		return nil, context.Cause(c.ctx)
	}
}

// listAgentKeys is listAgent's work, which may outlast it.
func (c *client) listAgentKeys() (keySet, error) {
	ch, reqs, err := c.conn.OpenChannel("auth-agent@openssh.com", nil)
	if err != nil {
		return nil, fmt.Errorf("open agent channel: %w", err)
	}
	go ssh.DiscardRequests(reqs)
	defer ch.Close()
	t := time.AfterFunc(agentQueryWait, func() { ch.Close() })
	defer t.Stop()
	keys, err := agent.NewClient(ch).List()
	if err != nil {
		return nil, fmt.Errorf("list agent keys: %w", err)
	}
	return keySetOf(keys), nil
}

// keySetOf is the key set of an agent's listed keys.
func keySetOf(keys []*agent.Key) keySet {
	set := make(keySet, len(keys))
	for _, k := range keys {
		set[sha256.Sum256(k.Blob)] = struct{}{}
	}
	return set
}

// agentRefusedError says a session could not be given an upstream
// connection for its agent, and why no other connection could be had (nil:
// the connections that fitted kept being bound by other agents first).
// Its text is the reason on the client's one refusal line; server text in
// it is made safe to print.
type agentRefusedError struct{ cause error }

func (e *agentRefusedError) Error() string {
	var why string
	var grow *growError
	switch {
	case e.cause == nil:
		why = "the connections for this one were taken by others"
	case errors.Is(e.cause, upstream.ErrNoPrompter), errors.Is(e.cause, upstream.ErrPrompterGone):
		why = "a new login needs a prompt"
	case strings.Contains(e.cause.Error(), "ssh: unable to authenticate"), errors.Is(e.cause, upstream.ErrLoginRefused):
		// x/crypto's text, or ssh's through the openssh engine: the
		// methods a pooled login may use (no password, no questions)
		// were not enough.
		why = "the server refused a new login without a prompt"
	case errors.As(e.cause, &grow) && grow.earlier:
		why = "a new login failed moments ago: " + loginCause(grow.err).Error()
	case errors.As(e.cause, &grow):
		why = "a new login failed: " + loginCause(grow.err).Error()
	default:
		why = "no other connection could be had: " + e.cause.Error()
	}
	return vis.Line("the shared connection forwards another agent, and " + why)
}

func (e *agentRefusedError) Unwrap() error { return e.cause }

// placeAgent makes sure the session s may forward c's agent: it stays if
// its connection forwards that agent or none now (which it then does),
// else it moves to a session on a connection that fits, with the requests
// sent so far replayed there. It returns the session to go on with; with
// an error, s unchanged, and the agent is not to be forwarded.
func (c *client) placeAgent(s upSession, sent []*ssh.Request) (upSession, error) {
	return c.m.placeAgent(c.ctx, c, s, sent)
}

// placeAgent is client.placeAgent for any owner; ctx bounds the wait for
// another connection.
func (m *Master) placeAgent(ctx context.Context, o agentOwner, s upSession, sent []*ssh.Request) (upSession, error) {
	keys := o.forwardedKeys()
	for range 3 { // another owner may bind the connection first
		if m.routes.bindAgent(s.conn, o, keys) {
			return s, nil
		}
		fits := func(on ssh.Conn) bool { return m.routes.agentFits(on, keys) }
		moved, err := m.pool.openSessionWhere(ctx, fits)
		if err != nil {
			m.log.Warn("agent forwarding refused", "err", err)
			return s, &agentRefusedError{err}
		}
		for _, req := range sent {
			moved.ch.SendRequest(req.Type, req.WantReply, req.Payload)
		}
		s.ch.Close()
		s.release()
		s = moved
		m.log.Info("session moved to an upstream connection for its agent", "requests", len(sent))
	}
	return s, &agentRefusedError{}
}

// x11Setup reads the start of an X11 connection (the client's setup
// request, up to the end of its authorization data) and returns the bytes
// read, the authorization protocol name and its data.
func x11Setup(r io.Reader) (setup []byte, proto string, data []byte, err error) {
	head := make([]byte, 12)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, "", nil, fmt.Errorf("read X11 setup: %w", err)
	}
	var order binary.ByteOrder
	switch head[0] {
	case 'B':
		order = binary.BigEndian
	case 'l':
		order = binary.LittleEndian
	default:
		return nil, "", nil, fmt.Errorf("read X11 setup: bad byte order %#x", head[0])
	}
	nameLen, dataLen := int(order.Uint16(head[6:])), int(order.Uint16(head[8:]))
	pad := func(n int) int { return (n + 3) &^ 3 }
	rest := make([]byte, pad(nameLen)+pad(dataLen))
	if _, err := io.ReadFull(r, rest); err != nil {
		return nil, "", nil, fmt.Errorf("read X11 setup: %w", err)
	}
	setup = append(head, rest...)
	return setup, string(rest[:nameLen]), rest[pad(nameLen) : pad(nameLen)+dataLen], nil
}

// routeX11 hands an X11 channel the server opened to the client whose
// session's cookie it carries, or refuses it.
func (m *Master) routeX11(nch ssh.NewChannel) {
	up, upReqs, err := nch.Accept()
	if err != nil {
		return
	}
	t := time.AfterFunc(x11SetupWait, func() { up.Close() })
	setup, proto, data, err := x11Setup(up)
	t.Stop()
	var c *client
	if err == nil {
		if c = m.routes.x11For(proto, data); c == nil {
			err = errors.New("no live client asked for X11 with this cookie")
		}
	}
	if err != nil {
		m.log.Info("refused server channel", "type", "x11", "err", err)
		up.Close()
		return
	}
	down, downReqs, err := c.conn.OpenChannel("x11", nch.ExtraData())
	if err != nil {
		up.Close()
		return
	}
	if _, err := down.Write(setup); err != nil {
		down.Close()
		up.Close()
		return
	}
	c.m.stats.channels.Add(1)
	defer c.m.stats.channels.Add(-1)
	b := &bridge{Down: end{ch: down, reqs: downReqs}, Up: end{ch: up, reqs: upReqs}, In: &m.stats.bytesIn, Out: &m.stats.bytesOut}
	b.Run()
}
