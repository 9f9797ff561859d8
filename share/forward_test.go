package share

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshshare/sshshare/share/upstream"
)

func TestRoutesOwner(t *testing.T) {
	a, b := &client{}, &client{}
	r := newRoutes()
	r.add(forwardKey{"localhost", 8080}, a, nil)
	r.add(forwardKey{"0.0.0.0", 9090}, b, nil)
	r.add(forwardKey{addr: "/tmp/remote.sock"}, b, nil)

	tests := []struct {
		name string
		key  forwardKey
		want forwardOwner
	}{
		{"exact", forwardKey{"localhost", 8080}, a},
		{"exact other", forwardKey{"0.0.0.0", 9090}, b},
		{"port only: normalised address", forwardKey{"127.0.0.1", 8080}, a},
		{"port only: empty address", forwardKey{"", 9090}, b},
		{"unknown port", forwardKey{"localhost", 7070}, nil},
		{"socket path", forwardKey{addr: "/tmp/remote.sock"}, b},
		{"other socket path: no port fallback", forwardKey{addr: "/tmp/other.sock"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.owner(tt.key); got != tt.want {
				t.Errorf("owner(%+v): got %p; want %p", tt.key, got, tt.want)
			}
		})
	}
	if got := r.count(); got != 3 {
		t.Errorf("count: got %d; want 3", got)
	}
	r.cancel(forwardKey{"localhost", 8080})
	if got := r.owner(forwardKey{"localhost", 8080}); got != nil {
		t.Errorf("owner after cancel: got %p; want nil", got)
	}
}

func TestRoutesDrop(t *testing.T) {
	a, b := &client{}, &client{}
	r := newRoutes()
	keysA := []forwardKey{{"localhost", 8080}, {addr: "/tmp/a.sock"}}
	for _, k := range keysA {
		r.add(k, a, nil)
	}
	r.add(forwardKey{"localhost", 9090}, b, nil)
	up := &fakeUpConn{}
	r.bindAgent(up, a, keys("A"))
	r.bindAgent(up, b, keys("A"))
	r.wantX11(a, x11Req("MIT-MAGIC-COOKIE-1", "0a0b"))

	byKey := func(x, y forwardKey) int { return strings.Compare(x.addr, y.addr) }
	got := slices.SortedFunc(maps.Keys(r.drop(a)), byKey)
	want := slices.Clone(keysA)
	slices.SortFunc(want, byKey)
	if !slices.Equal(got, want) {
		t.Errorf("drop(a): got %+v; want %+v", got, want)
	}
	if got := r.drop(a); len(got) != 0 {
		t.Errorf("drop(a) again: got %+v; want none", got)
	}
	if got := r.count(); got != 1 {
		t.Errorf("count after drop: got %d; want 1", got)
	}
	if got := r.owner(forwardKey{"localhost", 8080}); got != nil {
		t.Errorf("owner of a's listener after drop: got %p; want nil", got)
	}
	if got := r.x11For("MIT-MAGIC-COOKIE-1", []byte{0x0a, 0x0b}); got != nil {
		t.Errorf("x11 owner after drop: got %p; want nil", got)
	}
	if got := r.agentFor(up); got != b {
		t.Errorf("agent after drop: got %p; want b %p", got, b)
	}
}

// fakeUpConn stands for an upstream connection, open until closed is
// (a nil closed: for ever).
type fakeUpConn struct {
	ssh.Conn
	closed chan struct{}
}

func (f *fakeUpConn) Wait() error {
	<-f.closed
	return io.EOF
}

// keys is the key set of an agent holding the named keys.
func keys(names ...string) keySet {
	set := keySet{}
	for _, n := range names {
		set[sha256.Sum256([]byte(n))] = struct{}{}
	}
	return set
}

// x11Req is the payload of an x11-req with a hex cookie.
func x11Req(proto, cookie string) []byte {
	return ssh.Marshal(struct {
		Single bool
		Proto  string
		Cookie string
		Screen uint32
	}{false, proto, cookie, 0})
}

// TestRoutesAgentPerConnection: an upstream connection forwards the agent
// of the first client that forwarded one there; a client whose agent
// shares a key with a bound one fits it (the same agent, keys added or
// removed since), one with other keys does not, nor does an agent that
// lists no keys; a later client answers when the first has left, and once
// all have left only the same agent may bind the connection again: a
// process left behind on the server must never reach another agent.
func TestRoutesAgentPerConnection(t *testing.T) {
	a, a2, b, e := &client{}, &client{}, &client{}, &client{}
	up1, up2, up3 := &fakeUpConn{}, &fakeUpConn{}, &fakeUpConn{}
	r := newRoutes()
	if got := r.agentFor(up1); got != nil {
		t.Errorf("agent with nobody: got %p; want nil", got)
	}
	if !r.bindAgent(up1, a, keys("A")) {
		t.Fatal("bind a on a fresh connection: refused")
	}
	if r.bindAgent(up1, b, keys("B")) {
		t.Error("bind b's other agent where a's is: accepted; want refused")
	}
	if r.agentFits(up1, keys("B")) || !r.agentFits(up1, keys("A")) || !r.agentFits(up2, keys("B")) {
		t.Error("agentFits: want only a's agent on up1, any on up2")
	}
	if !r.bindAgent(up2, b, keys("B")) || !r.bindAgent(up1, a2, keys("A", "A2")) {
		t.Fatal("bind b on up2, a2 (a's agent with a key added) on up1: refused")
	}
	if !r.agentFits(up1, keys("A2")) {
		t.Error("agentFits(up1, A2): false; want true (a's agent with key A removed, as a2 listed it)")
	}
	for _, empty := range []keySet{nil, keys()} {
		if r.agentFits(up1, empty) || r.agentFits(up2, empty) || !r.agentFits(up3, empty) {
			t.Errorf("agentFits(%v): want only the free up3", empty)
		}
	}
	if !r.bindAgent(up3, e, keys()) || r.agentFits(up3, keys()) || r.agentFits(up3, keys("A")) {
		t.Error("an empty agent on up3: want it bound, and no other agent, empty or not, to fit there")
	}
	if got := r.agentFor(up1); got != a {
		t.Errorf("up1's agent: got %p; want a %p (the first), not b %p", got, a, b)
	}
	if got := r.agentFor(up2); got != b {
		t.Errorf("up2's agent: got %p; want b %p", got, b)
	}
	r.drop(a)
	if got := r.agentFor(up1); got != a2 {
		t.Errorf("up1's agent after a left: got %p; want a2 %p", got, a2)
	}
	if !r.agentFits(up1, keys("A")) || r.agentFits(up1, keys("B")) {
		t.Error("agentFits(up1) after a left: want a2's keys only")
	}
	r.drop(a2)
	if got := r.agentFor(up1); got != nil {
		t.Errorf("up1's agent after all left: got %p; want nil", got)
	}
	if r.bindAgent(up1, b, keys("B")) {
		t.Error("bind b's agent on up1 after a's clients left: accepted; want refused (a's agent was forwarded there)")
	}
	if !r.bindAgent(up1, b, keys("A2", "B")) {
		t.Error("bind an agent holding a2's key on up1 after a's clients left: refused; want it bound (the same agent)")
	}
	if got := r.agentFor(up1); got != b {
		t.Errorf("up1's agent after b bound it: got %p; want b %p", got, b)
	}
	r.forgetConn(up1)
	if !r.agentFits(up1, keys("A")) {
		t.Error("agentFits after forgetConn: false; want true")
	}
}

// TestRoutesAgentClosedConn: an agent bound on a connection that has
// closed, after the connection's forgetConn ran, is forgotten too; before,
// its entry stayed for the master's life.
func TestRoutesAgentClosedConn(t *testing.T) {
	up := &fakeUpConn{closed: make(chan struct{})}
	r := newRoutes()
	close(up.closed)
	r.forgetConn(up) // serveUpstream's, before the bind below
	r.bindAgent(up, &client{}, keys("A"))
	for range 200 {
		r.mu.Lock()
		n := len(r.agents)
		r.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Error("agent entry of a closed connection still there after 2 s")
}

// TestX11Setup reads the authorization of an X11 connection setup in
// both byte orders, and refuses junk.
func TestX11Setup(t *testing.T) {
	setup := func(order byte, name string, data []byte) []byte {
		b := []byte{order, 0, 0, 11, 0, 0, 0, 0, 0, 0, 0, 0}
		if order == 'B' {
			b[6], b[7], b[8], b[9] = 0, byte(len(name)), 0, byte(len(data))
		} else {
			b[6], b[7], b[8], b[9] = byte(len(name)), 0, byte(len(data)), 0
		}
		b = append(b, name...)
		b = append(b, make([]byte, (4-len(name)%4)%4)...)
		b = append(b, data...)
		return append(b, make([]byte, (4-len(data)%4)%4)...)
	}
	cookie := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	for _, order := range []byte{'B', 'l'} {
		in := setup(order, "MIT-MAGIC-COOKIE-1", cookie)
		got, proto, data, err := x11Setup(strings.NewReader(string(in) + "rest"))
		if err != nil || proto != "MIT-MAGIC-COOKIE-1" || string(data) != string(cookie) || string(got) != string(in) {
			t.Errorf("order %c: got %q, %x, %v (setup %d bytes); want the cookie and %d bytes", order, proto, data, err, len(got), len(in))
		}
	}
	if _, _, _, err := x11Setup(strings.NewReader("GET / HTTP/1.1\r\n")); err == nil {
		t.Error("junk: no error")
	}
}

// fakeNewChannel is a server-opened channel as routeServerChannel sees it.
type fakeNewChannel struct {
	typ   string
	extra []byte
}

func (f fakeNewChannel) Accept() (ssh.Channel, <-chan *ssh.Request, error) {
	panic("fakeNewChannel: Accept")
}
func (f fakeNewChannel) Reject(ssh.RejectionReason, string) error { return nil }
func (f fakeNewChannel) ChannelType() string                      { return f.typ }
func (f fakeNewChannel) ExtraData() []byte                        { return f.extra }

func TestRouteServerChannel(t *testing.T) {
	fwd, sock, agent := &client{}, &client{}, &client{}
	r := newRoutes()
	r.add(forwardKey{"localhost", 8080}, fwd, nil)
	r.add(forwardKey{addr: "/run/remote.sock"}, sock, nil)
	up, other := &fakeUpConn{}, &fakeUpConn{}
	r.bindAgent(up, agent, keys("A"))

	tests := []struct {
		name    string
		nch     fakeNewChannel
		want    *client
		wantErr string
	}{
		{"forwarded-tcpip", fakeNewChannel{"forwarded-tcpip",
			ssh.Marshal(forwardedTCPIPMsg{"localhost", 8080, "10.0.0.9", 40000})}, fwd, ""},
		{"forwarded-tcpip by port", fakeNewChannel{"forwarded-tcpip",
			ssh.Marshal(forwardedTCPIPMsg{"127.0.0.1", 8080, "10.0.0.9", 40000})}, fwd, ""},
		{"forwarded-tcpip unknown", fakeNewChannel{"forwarded-tcpip",
			ssh.Marshal(forwardedTCPIPMsg{"localhost", 7070, "10.0.0.9", 40000})}, nil, "no live client for remote forward localhost:7070"},
		{"forwarded-tcpip bad payload", fakeNewChannel{"forwarded-tcpip", []byte{0, 0}}, nil, "parse forwarded-tcpip"},
		{"streamlocal", fakeNewChannel{"forwarded-streamlocal@openssh.com",
			ssh.Marshal(forwardedStreamlocalMsg{Path: "/run/remote.sock"})}, sock, ""},
		{"streamlocal unknown", fakeNewChannel{"forwarded-streamlocal@openssh.com",
			ssh.Marshal(forwardedStreamlocalMsg{Path: "/run/other.sock"})}, nil, "no live client for remote forward /run/other.sock"},
		{"agent", fakeNewChannel{"auth-agent@openssh.com", nil}, agent, ""},
		{"session from server", fakeNewChannel{"session", nil}, nil, `unexpected channel type "session"`},
	}
	if got, err := r.routeServerChannel(other, fakeNewChannel{"auth-agent@openssh.com", nil}); err == nil {
		t.Errorf("agent channel on a connection without an agent: got %p; want an error", got)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.routeServerChannel(up, tt.nch)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("got %p, %v; want an error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %p, %v; want %p, nil", got, err, tt.want)
			}
		})
	}
}

// TestAgentRefusedError: the reason on the refusal line is short, names
// the kind of failure, and is one line however the cause reads (server
// text is escaped; only its start is checked here).
func TestAgentRefusedError(t *testing.T) {
	const lead = "the shared connection forwards another agent, and "
	authFailed := errors.New("log in to u@h:22 (tried publickey): ssh: handshake failed: ssh: unable to authenticate, attempted methods [none publickey], no supported methods remain")
	tests := []struct {
		name  string
		cause error
		want  string
	}{
		{"no prompter", &growError{err: fmt.Errorf("log in to u@h:22: %w", upstream.ErrNoPrompter)}, lead + "a new login needs a prompt"},
		{"password only", &growError{err: authFailed}, lead + "the server refused a new login without a prompt"},
		{"password only, earlier", &growError{err: authFailed, earlier: true}, lead + "the server refused a new login without a prompt"},
		{"engine through a ProxyCommand", &growError{err: fmt.Errorf("log in to u@h:22 with ssh through ProxyCommand nc %%h %%p: u@h: Permission denied (publickey).: %w", upstream.ErrLoginRefused)},
			lead + "the server refused a new login without a prompt"},
		{"network", &growError{err: errors.New("connect to h:22: network is unreachable")}, lead + "a new login failed: connect to h:22: network is unreachable"},
		{"network, earlier", &growError{err: errors.New("connect to h:22: refused"), earlier: true}, lead + "a new login failed moments ago: connect to h:22: refused"},
		{"server text", &growError{err: errors.New("banner\nsshshare: fake\x1b[2J")}, lead + "a new login failed: banner"},
		{"taken", nil, lead + "the connections for this one were taken by others"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := (&agentRefusedError{tt.cause}).Error()
			if !strings.HasPrefix(got, tt.want) || (got != tt.want && tt.name != "server text") {
				t.Errorf("got %q; want %q", got, tt.want)
			}
			if strings.ContainsFunc(got, func(r rune) bool { return r < ' ' || r == 0x7f }) {
				t.Errorf("got %q; want no control characters", got)
			}
		})
	}
}
