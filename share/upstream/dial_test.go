package upstream

import (
	"context"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/sshtest"
)

// listenLoopback listens on 127.0.0.1 and returns the listener's port;
// a cleanup closes it.
func listenLoopback(t *testing.T) (net.Listener, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln, ln.Addr().(*net.TCPAddr).Port
}

// acceptedFrom dials with n and returns the address the listener saw the
// connection come from.
func acceptedFrom(t *testing.T, n Network) string {
	t.Helper()
	ln, port := listenLoopback(t)
	conn, err := n.dial(context.Background(), "127.0.0.1", port, 5*time.Second)
	if err != nil {
		t.Fatalf("dial with %+v: %v", n, err)
	}
	defer conn.Close()
	in, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	return in.RemoteAddr().(*net.TCPAddr).IP.String()
}

// TestDialBindAddress: BindAddress is the connection's source address.
func TestDialBindAddress(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("127.0.0.2 is a local address on Linux only")
	}
	if got := acceptedFrom(t, Network{BindAddress: "127.0.0.2"}); got != "127.0.0.2" {
		t.Errorf("connection from %s; want 127.0.0.2", got)
	}
}

// TestDialBindInterface: BindInterface binds the interface's address (a
// loopback interface's own loopback address); an unknown interface fails
// the dial as ssh's "no suitable addresses" does.
func TestDialBindInterface(t *testing.T) {
	sshtest.SkipOnWindows(t, "BindInterface binds to a device by SO_BINDTODEVICE or IP_BOUND_IF, which Windows has not; sshshare refuses it by name there")
	lo := loopbackInterface(t)
	if got := acceptedFrom(t, Network{BindInterface: lo}); got != "127.0.0.1" {
		t.Errorf("BindInterface %s: connection from %s; want 127.0.0.1", lo, got)
	}
	_, port := listenLoopback(t)
	_, err := Network{BindInterface: "nosuch0"}.dial(context.Background(), "127.0.0.1", port, 5*time.Second)
	if err == nil || !strings.Contains(err.Error(), "BindInterface nosuch0") {
		t.Errorf("BindInterface nosuch0: got %v; want an error naming it", err)
	}
}

// loopbackInterface names the interface that holds 127.0.0.1.
func loopbackInterface(t *testing.T) string {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, ifi := range ifs {
		addrs, _ := ifi.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.Equal(net.IPv4(127, 0, 0, 1)) {
				return ifi.Name
			}
		}
	}
	t.Skip("no interface holds 127.0.0.1")
	return ""
}

// TestDialAddressFamily: AddressFamily inet6 finds no address for
// 127.0.0.1 and fails at once, as ssh's "Could not resolve hostname",
// whatever ConnectionAttempts says; inet connects.
func TestDialAddressFamily(t *testing.T) {
	_, port := listenLoopback(t)
	start := time.Now()
	_, err := Network{AddressFamily: "inet6", ConnectionAttempts: 3}.dial(context.Background(), "127.0.0.1", port, 5*time.Second)
	if err == nil || !strings.Contains(err.Error(), "could not resolve hostname 127.0.0.1 (AddressFamily inet6)") {
		t.Errorf("inet6 to 127.0.0.1: got %v; want could not resolve hostname", err)
	}
	if d := time.Since(start); d >= connectRetryWait {
		t.Errorf("inet6 to 127.0.0.1 took %v; want no retries", d)
	}
	if got := acceptedFrom(t, Network{AddressFamily: "inet"}); got != "127.0.0.1" {
		t.Errorf("inet: connection from %s; want 127.0.0.1", got)
	}
}

// TestDialConnectionAttempts: a port that starts listening 1.5 s after
// the first try is reached with ConnectionAttempts 3 (tries at 0, 1 and
// 2 s) and not with 1.
func TestDialConnectionAttempts(t *testing.T) {
	for _, tc := range []struct {
		attempts int
		wantOK   bool
	}{{1, false}, {3, true}} {
		ln, port := listenLoopback(t)
		ln.Close() // a closed port: refused until it listens again
		listening := make(chan error, 1)
		time.AfterFunc(1500*time.Millisecond, func() {
			ln, err := net.Listen("tcp", ln.Addr().String())
			if err == nil {
				t.Cleanup(func() { ln.Close() })
			}
			listening <- err
		})
		start := time.Now()
		conn, err := Network{ConnectionAttempts: tc.attempts}.dial(context.Background(), "127.0.0.1", port, 5*time.Second)
		elapsed := time.Since(start)
		if err == nil {
			conn.Close()
		}
		if (err == nil) != tc.wantOK {
			t.Errorf("ConnectionAttempts %d: got %v after %v; want success %t", tc.attempts, err, elapsed, tc.wantOK)
		}
		if err := <-listening; err != nil {
			t.Fatalf("listen again on port %d: %v", port, err)
		}
		t.Logf("ConnectionAttempts %d: %v after %v", tc.attempts, err, elapsed.Round(time.Millisecond))
	}
}
