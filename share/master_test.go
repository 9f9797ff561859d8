package share

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/sshtest"
	"github.com/sshshare/sshshare/share/sysio"
	"github.com/sshshare/sshshare/share/upstream"
	"golang.org/x/crypto/ssh"
)

// TestMasterSharesOneLogin: two local clients run commands over the one
// upstream login, with their bytes, exit statuses and stdin carried, and
// status tells what is going on.
func TestMasterSharesOneLogin(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	c1 := f.share(t)
	mustRun(t, c1, "hello", "hello\n")
	if out, status := run(t, c1, "exit 3"); out != "" || status != 3 {
		t.Errorf("exit 3: got %q, exit %d; want \"\", exit 3", out, status)
	}
	s, err := c1.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	s.Stdin = strings.NewReader("ping")
	if out, err := s.Output("cat"); err != nil || string(out) != "ping" {
		t.Errorf("cat: got %q, %v; want \"ping\", nil", out, err)
	}
	c2 := f.share(t)
	mustRun(t, c2, "two", "two\n")

	if got := srv.logins.Load(); got != 1 {
		t.Errorf("upstream logins: got %d; want 1", got)
	}
	st := f.m.Status()
	if st.Clients != 2 || st.Upstreams != 1 || !st.Healthy || st.Healed != 0 || st.Mode != control.OpShare {
		t.Errorf("status: got clients %d, upstreams %d, healthy %v, healed %d, mode %q; want 2, 1, true, 0, share",
			st.Clients, st.Upstreams, st.Healthy, st.Healed, st.Mode)
	}
	if st.Target != "test@upstream.test:22" {
		t.Errorf("status target: got %q; want test@upstream.test:22 (user and port from the config)", st.Target)
	}
	if st.BytesIn == 0 || st.BytesOut == 0 {
		t.Errorf("status bytes: got in %d, out %d; want both counted", st.BytesIn, st.BytesOut)
	}

	reply, err := control.Query(f.m.cfg.StateDir, f.socket, control.Hello{Op: control.OpStatus})
	if err != nil {
		t.Fatalf("status query: %v", err)
	}
	if reply.Status == nil || reply.Status.Socket != f.socket || reply.Status.Clients != 2 {
		t.Errorf("status over the socket: got %+v; want socket %s, 2 clients", reply.Status, f.socket)
	}

	c2.Close()
	sshtest.WaitFor(t, "the second client to leave", func() bool { return f.m.Status().Clients == 1 })
}

// TestMasterExpiresAfterPersist: the idle window starts when the last
// client leaves, not while one is connected; then the master exits and
// removes its socket.
func TestMasterExpiresAfterPersist(t *testing.T) {
	const persist = 200 * time.Millisecond
	srv := newFakeUpstream(t)
	f := startMaster(t, srv, withPersist(persist))
	c := f.share(t)
	mustRun(t, c, "hi", "hi\n")
	f.notServed(t, 3*persist, "while a client is connected")

	c.Close()
	left := time.Now()
	if reason := f.waitServed(t, 3*time.Second); reason != "idle for "+persist.String() {
		t.Errorf("exit reason: got %q; want idle for %v", reason, persist)
	}
	if d := time.Since(left); d < persist {
		t.Errorf("exited %v after the last client left; want at least the persist window %v", d, persist)
	}
	if _, err := os.Stat(f.socket); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket after exit: got %v; want it removed", err)
	}
	up := srv.conn(t, 0)
	sshtest.WaitFor(t, "the upstream connection to close", up.ended)
}

// TestMasterStopDrain: a draining master takes no new client (its socket
// is gone, and a connection already accepted is told to retry) and exits
// when the connected one leaves.
func TestMasterStopDrain(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	c := f.share(t)
	f.m.Stop(true)

	if !f.m.Status().Draining {
		t.Error("status: got draining false; want true")
	}
	if _, err := f.dialShare(); err == nil {
		t.Error("share after Stop(true): got a client; want the socket gone")
	}
	if got := helloOnAccepted(t, f.m, control.OpShare); !got.Retry || got.OK {
		t.Errorf("share hello accepted before the drain: got %+v; want a retry", got)
	}
	mustRun(t, c, "still here", "still here\n")
	f.notServed(t, 100*time.Millisecond, "while the client is connected")

	c.Close()
	if reason := f.waitServed(t, 3*time.Second); reason != "drained" {
		t.Errorf("exit reason: got %q; want drained", reason)
	}
}

// helloOnAccepted hands the master a connection as its accept loop would
// and returns the reply to a hello for op.
func helloOnAccepted(t *testing.T, m *Master, op string) control.Reply {
	t.Helper()
	a, b := localPair(t)
	go m.serveConn(b, func() {})
	reply, err := control.Exchange(a, control.Hello{Version: control.ProtocolVersion, Op: op})
	if err != nil {
		t.Fatalf("hello: %v", err)
	}
	return reply
}

// localPair is a connection as an invocation makes it to a master, both
// ends: over a Unix socket, or on Windows a named pipe.
func localPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	socket := filepath.Join(t.TempDir(), "p")
	ln, err := sysio.Listen(socket)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = sysio.DialMaster(socket, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	server = sshtest.RecvWithin(t, accepted, 5*time.Second, "the accepted end")
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() {
		client.Close()
		server.Close()
	})
	return client, server
}

// TestMasterStopNow: Stop(false) ends the master with a client connected;
// the client's running session ends, and the stop is recorded.
func TestMasterStopNow(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	c := f.share(t)
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	in, err := s.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if err := s.Start("cat"); err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() { ended <- s.Wait() }()

	f.m.Stop(false)
	if reason := f.waitServed(t, 3*time.Second); reason != "stopped" {
		t.Errorf("exit reason: got %q; want stopped", reason)
	}
	var missing *ssh.ExitMissingError
	if err := sshtest.RecvWithin(t, ended, 3*time.Second, "the session to end"); !errors.As(err, &missing) {
		t.Errorf("session after the stop: got %v; want it ended without an exit status", err)
	}
	if !control.WasStopped(f.socket, os.Getpid()) {
		t.Error("WasStopped: got false; want the stop recorded")
	}
}

// TestMasterStopOverSocket: `sshshare stop` and `stop --drain` reach the
// master as control hellos.
func TestMasterStopOverSocket(t *testing.T) {
	for _, drain := range []bool{false, true} {
		t.Run(map[bool]string{false: "now", true: "drain"}[drain], func(t *testing.T) {
			f := startMaster(t, newFakeUpstream(t))
			if _, err := control.Query(f.m.cfg.StateDir, f.socket, control.Hello{Op: control.OpStop, Drain: drain}); err != nil {
				t.Fatalf("stop: %v", err)
			}
			want := map[bool]string{false: "stopped", true: "drained"}[drain]
			if reason := f.waitServed(t, 3*time.Second); reason != want {
				t.Errorf("exit reason: got %q; want %q", reason, want)
			}
		})
	}
}

// TestMasterStopDuringLogin: a master stopped while its login hangs exits
// at once, and the stop ends the login (it dials under the master's
// lifetime) instead of leaving it to finish and hold an upstream
// connection.
func TestMasterStopDuringLogin(t *testing.T) {
	srv := newFakeUpstream(t)
	srv.authGate = make(chan struct{})
	f := startMaster(t, srv)
	sshtest.RecvWithin(t, srv.authStarted, 5*time.Second, "the login to reach authentication")

	f.m.Stop(false)
	if reason := f.waitServed(t, time.Second); reason != "stopped" {
		t.Errorf("exit reason: got %q; want stopped", reason)
	}
	sshtest.RecvWithin(t, f.m.Login().Done(), 2*time.Second, "the login to end with the master")
	if err := f.m.Login().Err(); err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Errorf("login: got %v; want it ended by the stop", err)
	}
	close(srv.authGate)
	if n := srv.logins.Load(); n != 0 {
		t.Errorf("upstream logins: got %d; want the stopped one never completed", n)
	}
}

// TestMasterLoginFailure: a login the server refuses is reported to a
// waiting client with the reason, recorded for the next invocation, and
// ends the master.
func TestMasterLoginFailure(t *testing.T) {
	srv := newFakeUpstream(t)
	srv.refuseKeys.Store(true)
	srv.authGate = make(chan struct{}) // startMaster must not wait for the login
	close(srv.authGate)
	start := time.Now()
	f := startMaster(t, srv)
	sshtest.RecvWithin(t, f.m.Login().Done(), 5*time.Second, "the login to fail")
	if err := f.m.Login().Err(); err == nil || !strings.Contains(err.Error(), "log in to test@upstream.test:22") {
		t.Errorf("login error: got %v; want it to name the login", err)
	}
	if got := helloOnAccepted(t, f.m, control.OpShare); got.OK || !got.Retry {
		t.Errorf("share hello after the failed login: got %+v; want a retry", got)
	}
	if reason := f.waitServed(t, 3*time.Second); reason != "login failed" {
		t.Errorf("exit reason: got %q; want login failed", reason)
	}
	if err := control.RecentFailure(f.socket, start); err == nil {
		t.Error("RecentFailure: got nil; want the login's failure recorded")
	}
}

// TestMasterTunnel: a tunnel master splices a client's connection to a
// direct-tcpip channel, and a target the bastion refuses is one clear
// line that the invocation will not retry.
func TestMasterTunnel(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv, func(c *MasterConfig, _ *upstream.HostConfig) { c.Mode = control.OpTunnel })
	conn, err := control.Dial(f.socket, control.Hello{Version: control.ProtocolVersion, Op: control.OpTunnel, Host: "db", Port: 5432})
	if err != nil {
		t.Fatalf("tunnel: %v", err)
	}
	defer conn.Close()
	sshtest.WaitFor(t, "the tunnel in status", func() bool { return f.m.Status().Tunnels == 1 })
	if _, err := conn.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	conn.(*control.Conn).CloseWrite()
	if got, err := io.ReadAll(conn); err != nil || string(got) != "ping" {
		t.Errorf("through the tunnel: got %q, %v; want \"ping\"", got, err)
	}
	if st := f.m.Status(); st.Mode != control.OpTunnel {
		t.Errorf("status mode: got %q; want tunnel", st.Mode)
	}

	_, err = control.Dial(f.socket, control.Hello{Version: control.ProtocolVersion, Op: control.OpTunnel, Host: "db", Port: 1})
	var refused *control.RefusedError
	if !errors.As(err, &refused) || refused.Reason != "bastion refused db:1: connect failed (Connection refused)" {
		t.Errorf("tunnel to a closed port: got %v; want a refusal naming the target", err)
	}
}

// TestMasterRefusesBadHello: a hello the master cannot read is answered
// with why, and the master carries on.
func TestMasterRefusesBadHello(t *testing.T) {
	f := startMaster(t, newFakeUpstream(t))
	conn, err := sysio.DialMaster(f.socket, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	reply, err := control.Exchange(conn, control.Hello{Version: control.ProtocolVersion + 1, Op: control.OpShare})
	if err != nil || reply.OK || !strings.Contains(reply.Error, "version") {
		t.Errorf("hello of another version: got %+v, %v; want an error naming the version", reply, err)
	}
	mustRun(t, f.share(t), "after", "after\n")
}
