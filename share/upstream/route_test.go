package upstream

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/control"
)

// TestDirectOnlyOwnDial: only the master's own TCP connection is direct,
// so NoHostAuthenticationForLocalhost and CheckHostIP never apply to a
// connection through the config's ProxyCommand or ProxyJump, whose far
// end ssh has no address of.
func TestDirectOnlyOwnDial(t *testing.T) {
	transport := func(context.Context, string, int) (net.Conn, error) { return nil, nil }
	for _, tt := range []struct {
		name   string
		d      Dialer
		direct bool
	}{
		{"tcp", Dialer{}, true},
		{"transport", Dialer{Transport: transport}, false},
		{"ProxyCommand", Dialer{Config: HostConfig{ProxyCommand: "nc %h %p"}}, false},
		{"ProxyJump", Dialer{Config: HostConfig{ProxyJump: []Target{{Host: "bastion"}}}}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.d.Config.HostName, tt.d.Config.Port, tt.d.Config.User = "localhost", 22, "alice"
			check, err := tt.d.hostKeyCheck(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if check.Direct != tt.direct {
				t.Errorf("Direct = %v; want %v", check.Direct, tt.direct)
			}
		})
	}
}

// TestBannerWait: through a ProxyCommand, the master waits for the
// server's banner as long as the starting ssh waits for it
// (control.LoginWait) unless ConnectTimeout is set; elsewhere the connect
// timeout bounds it.
func TestBannerWait(t *testing.T) {
	transport := func(context.Context, string, int) (net.Conn, error) { return nil, nil }
	command := HostConfig{ProxyCommand: "cloudflared access ssh --hostname %h"}
	timed := command
	timed.ConnectTimeout = 5 * time.Second
	for _, tt := range []struct {
		name string
		d    Dialer
		want time.Duration
	}{
		{"tcp", Dialer{}, defaultConnectTimeout + 30*time.Second},
		{"ProxyCommand", Dialer{Config: command}, control.LoginWait},
		{"ProxyCommand with ConnectTimeout", Dialer{Config: timed}, 35 * time.Second},
		{"transport", Dialer{Config: command, Transport: transport}, defaultConnectTimeout + 30*time.Second},
	} {
		if got := tt.d.bannerWait(); got != tt.want {
			t.Errorf("%s: bannerWait %v; want %v", tt.name, got, tt.want)
		}
	}
}
