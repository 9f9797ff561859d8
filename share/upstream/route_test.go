package upstream

import (
	"context"
	"net"
	"testing"
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
