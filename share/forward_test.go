package share

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
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
		want *client
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
	r.want("auth-agent@openssh.com", a)
	r.want("x11", a)
	r.want("auth-agent@openssh.com", b)

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
	if got := r.latest("x11"); got != nil {
		t.Errorf("latest x11 after drop: got %p; want nil", got)
	}
	if got := r.latest("auth-agent@openssh.com"); got != b {
		t.Errorf("latest agent after drop: got %p; want b %p", got, b)
	}
}

func TestRoutesLatest(t *testing.T) {
	a, b, c := &client{}, &client{}, &client{}
	r := newRoutes()
	const agent = "auth-agent@openssh.com"
	if got := r.latest(agent); got != nil {
		t.Errorf("latest agent with nobody: got %p; want nil", got)
	}
	r.want(agent, a)
	r.want(agent, b)
	r.want(agent, a) // again: no duplicate, order kept
	r.want("x11", c)
	if got := r.latest(agent); got != b {
		t.Errorf("latest agent: got %p; want b %p", got, b)
	}
	if got := r.latest("x11"); got != c {
		t.Errorf("latest x11: got %p; want c %p", got, c)
	}
	r.drop(b)
	if got := r.latest(agent); got != a {
		t.Errorf("latest agent after b left: got %p; want a %p", got, a)
	}
	r.drop(a)
	if got := r.latest(agent); got != nil {
		t.Errorf("latest agent after all left: got %p; want nil", got)
	}
	if got := r.latest("x11"); got != c {
		t.Errorf("latest x11 after agent clients left: got %p; want c %p", got, c)
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
	fwd, sock, agent, x11 := &client{}, &client{}, &client{}, &client{}
	r := newRoutes()
	r.add(forwardKey{"localhost", 8080}, fwd, nil)
	r.add(forwardKey{addr: "/run/remote.sock"}, sock, nil)
	r.want("auth-agent@openssh.com", agent)
	r.want("x11", x11)

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
		{"x11", fakeNewChannel{"x11", ssh.Marshal(struct {
			Addr string
			Port uint32
		}{"127.0.0.1", 6010})}, x11, ""},
		{"session from server", fakeNewChannel{"session", nil}, nil, `unexpected channel type "session"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.routeServerChannel(tt.nch)
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
