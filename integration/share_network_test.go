package integration

import (
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// newNetworkEnv starts an sshd and a client with the sshshare binary.
func newNetworkEnv(t *testing.T) (*harness.SSHD, *harness.Client, string) {
	t.Helper()
	sshd := harness.StartSSHD(t, harness.SSHDOptions{Extra: "SetEnv HOME=" + t.TempDir()})
	c := harness.NewClient(t, sshd)
	return sshd, c, harness.Binary(t)
}

// TestShareBindAddress: with BindAddress 127.0.0.2 the master's login
// comes from 127.0.0.2, as plain ssh's does (sshd's log says so).
func TestShareBindAddress(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("127.0.0.2 is a local address on Linux only")
	}
	sshd, c, bin := newNetworkEnv(t)
	c.AddHost("plain", "BindAddress 127.0.0.2")
	c.AddShareHost("shared", bin, "BindAddress 127.0.0.2")
	for _, host := range []string{"plain", "shared"} {
		before := sshd.Logins()
		if res := harness.Run(t, sshTimeout, c.SSH(host, "true")); res.Code != 0 {
			t.Fatalf("ssh %s true: %s; want exit 0", host, res)
		}
		sshd.WaitLogins(t, before+1, 5*time.Second)
	}
	from := strings.Count(sshd.Log(), "Accepted publickey for "+sshd.User+" from 127.0.0.2 ")
	t.Logf("sshd: %d logins, %d of them from 127.0.0.2", sshd.Logins(), from)
	if from != 2 {
		t.Errorf("logins from 127.0.0.2 = %d; want 2 (plain ssh and the master)\nsshd log:\n%s", from, sshd.Log())
	}
}

// TestShareAddressFamily: AddressFamily inet6 with HostName 127.0.0.1
// fails as plain ssh fails: exit 255, the host name could not be
// resolved, no login.
func TestShareAddressFamily(t *testing.T) {
	sshd, c, bin := newNetworkEnv(t)
	c.AddHost("plain", "AddressFamily inet6")
	c.AddShareHost("shared", bin, "AddressFamily inet6")
	plain := harness.Run(t, sshTimeout, c.SSH("plain", "true"))
	shared := harness.Run(t, sshTimeout, c.SSH("shared", "true"))
	t.Logf("plain ssh: exit %d, %q; through sshshare: exit %d, %q",
		plain.Code, strings.TrimSpace(string(plain.Stderr)), shared.Code, strings.TrimSpace(string(shared.Stderr)))
	if plain.Code != 255 || !strings.Contains(string(plain.Stderr), "Could not resolve hostname 127.0.0.1") {
		t.Fatalf("plain ssh with AddressFamily inet6: %s; want exit 255, could not resolve (the scenario)", plain)
	}
	want := "could not resolve hostname 127.0.0.1 (AddressFamily inet6)"
	if openSSHEngine() {
		want = "Could not resolve hostname 127.0.0.1: Address family for hostname not supported" // ssh's own
	}
	if shared.Code != 255 || !strings.Contains(string(shared.Stderr), "sshshare: ") ||
		!strings.Contains(string(shared.Stderr), want) {
		t.Errorf("ssh through sshshare with AddressFamily inet6: %s; want exit 255 and an sshshare: line "+
			"saying the host name could not be resolved", shared)
	}
	if got := sshd.Logins(); got != 0 {
		t.Errorf("sshd logins = %d; want 0", got)
	}
}

// TestShareConnectionAttempts: a port that starts listening (a relay to
// sshd) 1.5 s after ssh is run is reached with ConnectionAttempts 3,
// tried at 0, 1 and 2 s as ssh tries; with ConnectionAttempts 1 the ssh
// fails at once, as plain ssh does.
func TestShareConnectionAttempts(t *testing.T) {
	sshd, c, bin := newNetworkEnv(t)
	for _, tc := range []struct {
		attempts int
		wantCode int
	}{{1, 255}, {3, 0}} {
		port := closedPort(t)
		alias := "attempts" + strconv.Itoa(tc.attempts)
		c.AddShareHost(alias, bin, "Port "+strconv.Itoa(port), "ConnectionAttempts "+strconv.Itoa(tc.attempts))
		late := lateRelay(t, port, sshd.Addr(), 1500*time.Millisecond)
		res := harness.Run(t, sshTimeout, c.SSH(alias, "true"))
		<-late
		t.Logf("ConnectionAttempts %d: exit %d after %v", tc.attempts, res.Code, res.Elapsed.Round(time.Millisecond))
		if res.Code != tc.wantCode {
			t.Errorf("ssh %s true (ConnectionAttempts %d, the port listens after 1.5 s): %s; want exit %d",
				alias, tc.attempts, res, tc.wantCode)
		}
		if tc.wantCode != 0 && !strings.Contains(strings.ToLower(string(res.Stderr)), "connection refused") {
			t.Errorf("ssh %s true: stderr %q; want the refused connect named", alias, res.Stderr)
		}
	}
	if got := sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d; want 1 (ConnectionAttempts 3 only)", got)
	}
}

// closedPort is a port on 127.0.0.1 that nothing listens on just now.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// lateRelay starts listening on port after delay and relays every
// connection to target; the channel closes once it listens (or failed
// to). A cleanup closes it and its connections.
func lateRelay(t *testing.T, port int, target string, delay time.Duration) <-chan struct{} {
	t.Helper()
	listening := make(chan struct{})
	var mu sync.Mutex
	var closers []io.Closer
	stopped := false
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		for _, c := range closers {
			c.Close()
		}
	})
	keep := func(c io.Closer) bool {
		mu.Lock()
		defer mu.Unlock()
		closers = append(closers, c)
		return !stopped
	}
	time.AfterFunc(delay, func() {
		defer close(listening)
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Errorf("late relay: listen on %d: %v", port, err)
			return
		}
		if !keep(ln) {
			ln.Close()
			return
		}
		go relayAccepted(ln, target, keep)
	})
	return listening
}

// relayAccepted relays each connection ln accepts to target.
func relayAccepted(ln net.Listener, target string, keep func(io.Closer) bool) {
	for {
		in, err := ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", target)
		if err != nil || !keep(in) || !keep(out) {
			in.Close()
			if out != nil {
				out.Close()
			}
			continue
		}
		go func() { io.Copy(out, in); out.(*net.TCPConn).CloseWrite() }()
		go func() { io.Copy(in, out); in.(*net.TCPConn).CloseWrite() }()
	}
}
