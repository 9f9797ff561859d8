package upstream

import (
	"context"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// sockopt reads an int socket option of a TCP connection.
func sockopt(t *testing.T, conn net.Conn, level, opt int) int {
	t.Helper()
	rc, err := conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var gerr error
	rc.Control(func(fd uintptr) { v, gerr = unix.GetsockoptInt(int(fd), level, opt) })
	if gerr != nil {
		t.Fatal(gerr)
	}
	return v
}

// TestDialSocketOptions: IPQoS sets IP_TOS; TCPKeepAlive no turns
// SO_KEEPALIVE off, and the default leaves it on.
func TestDialSocketOptions(t *testing.T) {
	for _, tc := range []struct {
		name           string
		n              Network
		tos, keepAlive int
	}{
		{"default", Network{}, 0, 1},
		{"IPQoS af21, TCPKeepAlive no", Network{IPQoS: 0x48, NoTCPKeepAlive: true}, 0x48, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, port := listenLoopback(t)
			conn, err := tc.n.dial(context.Background(), "127.0.0.1", port, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if got := sockopt(t, conn, unix.IPPROTO_IP, unix.IP_TOS); got != tc.tos {
				t.Errorf("IP_TOS: got %#x; want %#x", got, tc.tos)
			}
			if got := sockopt(t, conn, unix.SOL_SOCKET, unix.SO_KEEPALIVE); got != tc.keepAlive {
				t.Errorf("SO_KEEPALIVE: got %d; want %d", got, tc.keepAlive)
			}
		})
	}
}
