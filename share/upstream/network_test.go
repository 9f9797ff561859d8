package upstream

import (
	"reflect"
	"testing"
	"time"
)

// TestParseSSHGNetwork: the network keywords as `ssh -G` (OpenSSH 9.2)
// prints them for a Host block that sets each.
func TestParseSSHGNetwork(t *testing.T) {
	const base = "hostname h\nport 22\n"
	tests := []struct {
		name  string
		lines string
		want  Network
	}{
		{"defaults", "addressfamily any\ncompression no\ntcpkeepalive yes\nconnectionattempts 1\nipqos lowdelay throughput\nrekeylimit 0 0",
			Network{AddressFamily: "any", ConnectionAttempts: 1, IPQoS: 0x10}},
		{"every keyword set", "addressfamily inet6\ncompression yes\ntcpkeepalive no\nconnectionattempts 3\n" +
			"bindaddress 127.0.0.2\nbindinterface lo\nipqos af21 cs1\nrekeylimit 1073741824 3600",
			Network{AddressFamily: "inet6", Compression: true, NoTCPKeepAlive: true, ConnectionAttempts: 3,
				BindAddress: "127.0.0.2", BindInterface: "lo", IPQoS: 0x48, RekeyBytes: 1 << 30, RekeyInterval: time.Hour}},
		{"ipqos in hex", "ipqos 0x2a 0x01", Network{IPQoS: 0x2a}},
		{"ipqos none", "ipqos none none", Network{}},
		{"ipqos le", "ipqos le le", Network{IPQoS: 0x04}},
		{"addressfamily inet", "addressfamily inet", Network{AddressFamily: "inet"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseSSHG([]byte(base + tt.lines + "\n"))
			if err != nil {
				t.Fatalf("parseSSHG: %v", err)
			}
			if !reflect.DeepEqual(cfg.Network, tt.want) {
				t.Errorf("got %+v; want %+v", cfg.Network, tt.want)
			}
		})
	}
	for _, bad := range []string{"addressfamily inet5", "ipqos 0x100 0x100", "ipqos bogus bogus", "rekeylimit x 0", "connectionattempts many"} {
		if _, err := parseSSHG([]byte(base + bad + "\n")); err == nil {
			t.Errorf("parseSSHG(%q): no error; want one", bad)
		}
	}
}
