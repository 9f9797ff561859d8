package share

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/sshtest"
	"github.com/sshshare/sshshare/share/upstream"
	"golang.org/x/crypto/ssh"
)

// TestMasterHealsClosedUpstream: when the server drops the primary
// connection, the master logs in again without asking, and a connected
// client's next session and channel, and a new client, see nothing of it.
func TestMasterHealsClosedUpstream(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	c := f.share(t)
	mustRun(t, c, "before", "before\n")

	srv.conn(t, 0).kill()
	// Whether the master has noticed yet or not, the session heals or
	// resumes onto a fresh login.
	mustRun(t, c, "after", "after\n")
	echoDirect(t, c, "db:5432")

	sshtest.WaitFor(t, "the heal in status", func() bool { return f.m.Status().Healed == 1 })
	if st := f.m.Status(); st.LastHeal.Before(st.Started) {
		t.Errorf("status last heal: got %v; want a time after the start, %v", st.LastHeal, st.Started)
	}
	if got := srv.logins.Load(); got != 2 {
		t.Errorf("upstream logins: got %d; want 2", got)
	}
	mustRun(t, f.share(t), "new client", "new client\n")
	sshtest.WaitFor(t, "the dead connection to leave the pool", func() bool { return f.m.Status().Upstreams == 1 })
	st := f.m.Status()
	if !st.Healthy || !strings.Contains(st.LastError, "upstream dead") {
		t.Errorf("status: got healthy %v, last error %q; want healthy, and the death noted", st.Healthy, st.LastError)
	}
}

// echoDirect opens a direct-tcpip channel to addr through c (the fake
// echoes) and checks that bytes go round.
func echoDirect(t *testing.T, c *ssh.Client, addr string) {
	t.Helper()
	conn, err := c.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("direct-tcpip to %s: %v", addr, err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	conn.(interface{ CloseWrite() error }).CloseWrite()
	if got, err := io.ReadAll(conn); err != nil || string(got) != "ping" {
		t.Errorf("direct-tcpip echo: got %q, %v; want \"ping\"", got, err)
	}
}

// TestMasterHealsSilentUpstream: a primary that stops answering
// keepalives (a dead network: nothing closes) counts as dead after
// ServerAliveInterval * ServerAliveCountMax and is replaced. The old
// connection stays for healGrace, in case it was only a stall.
func TestMasterHealsSilentUpstream(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv, func(_ *MasterConfig, h *upstream.HostConfig) {
		// More than a heartbeat plus scheduling slack, so the healthy
		// upstream is never taken for dead; small enough for a fast test.
		h.ServerAliveInterval = 1200 * time.Millisecond
		h.ServerAliveCountMax = 1
	})
	srv.conn(t, 0).stallKeepalives.Store(true)

	sshtest.WaitFor(t, "the heal in status", func() bool { return f.m.Status().Healed == 1 })
	// The fake counts a login once its side of the handshake has
	// returned, which may be just after the master's side has: wait for
	// it, then make sure no third one follows.
	sshtest.WaitFor(t, "the fresh login on the server", func() bool { return srv.logins.Load() >= 2 })
	mustRun(t, f.share(t), "healed", "healed\n")
	if got := srv.logins.Load(); got != 2 {
		t.Errorf("upstream logins: got %d; want 2", got)
	}
	st := f.m.Status()
	if st.Upstreams != 2 || !strings.Contains(st.LastError, "nothing heard for") {
		t.Errorf("status: got upstreams %d, last error %q; want 2 (the old one kept for healGrace), and why it died",
			st.Upstreams, st.LastError)
	}
	if srv.conn(t, 0).ended() {
		t.Error("the silent connection was closed at once; want it kept for healGrace")
	}
}

// TestMasterEndsWhenHealFails: a primary that dies when no fresh login
// can be made ends the master; status says why.
func TestMasterEndsWhenHealFails(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	srv.failDials.Store(true)
	srv.conn(t, 0).kill()
	// Whoever notices first says why: the connection's end, or a spare's
	// open failing on it.
	if reason := f.waitServed(t, 3*time.Second); !strings.HasPrefix(reason, "upstream dead: ") {
		t.Errorf("exit reason: got %q; want upstream dead: ...", reason)
	}
	if got := srv.dials.Load(); got != 2 {
		t.Errorf("dials: got %d; want 2 (the login, one heal)", got)
	}
	st := f.m.Status()
	if st.Healthy || st.Healed != 0 || !strings.Contains(st.LastError, "network is unreachable") {
		t.Errorf("status: got healthy %v, healed %d, last error %q; want unhealthy, 0, the failed heal's error",
			st.Healthy, st.Healed, st.LastError)
	}
}

// TestChainedMasterDoesNotHeal: a master whose upstream goes through
// another master (Via) ends with its upstream instead of healing.
func TestChainedMasterDoesNotHeal(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv, func(c *MasterConfig, _ *upstream.HostConfig) { c.Via = "bastion" })
	srv.conn(t, 0).kill()
	if reason := f.waitServed(t, 3*time.Second); !strings.HasPrefix(reason, "upstream dead") {
		t.Errorf("exit reason: got %q; want upstream dead...", reason)
	}
	if got := srv.logins.Load(); got != 1 {
		t.Errorf("upstream logins: got %d; want 1 (no heal)", got)
	}
	if st := f.m.Status(); !strings.Contains(st.LastError, "not healing a chained master") {
		t.Errorf("last error: got %q; want why it did not heal", st.LastError)
	}
}

// TestRemoteForwardAcrossHeal: a client's -R listener, made on the
// connection a heal replaced, is asked for again on the fresh one for the
// same client: the forward answers again, status counts it, and leaving
// cancels it on the connection that holds it.
func TestRemoteForwardAcrossHeal(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	c := f.share(t)
	ln, err := c.Listen("tcp", "127.0.0.1:7000")
	if err != nil {
		t.Fatalf("remote forward: %v", err)
	}
	go echoAccepted(ln)
	up0 := srv.conn(t, 0)
	if got := up0.forwardCount(); got != 1 {
		t.Fatalf("forwards on the upstream: got %d; want 1", got)
	}
	roundTrip(t, up0, "127.0.0.1", 7000)

	up0.kill()
	sshtest.WaitFor(t, "the heal in status", func() bool { return f.m.Status().Healed == 1 })
	up1 := srv.conn(t, 1)
	sshtest.WaitFor(t, "the forward on the healed connection", func() bool { return up1.forwardCount() == 1 })
	sshtest.WaitFor(t, "status to count the forward", func() bool { return f.m.Status().Forwards == 1 })
	roundTrip(t, up1, "127.0.0.1", 7000)
	mustRun(t, c, "still connected", "still connected\n")
	// Another port is still refused.
	_, err = up1.openForwarded("127.0.0.1", 7001)
	var oe *ssh.OpenChannelError
	if !errors.As(err, &oe) || oe.Reason != ssh.Prohibited || !strings.Contains(oe.Message, "no live client for remote forward") {
		t.Errorf("forwarded-tcpip for an unknown port: got %v; want prohibited, no live client", err)
	}

	// Leaving cancels the forward on the connection the master now holds.
	c.Close()
	sshtest.WaitFor(t, "the route to go", func() bool { return f.m.Status().Forwards == 0 })
	sshtest.WaitFor(t, "the cancel upstream", func() bool { return up1.forwardCount() == 0 })
}

// TestRemoteForwardLostInHeal: when the fresh connection refuses a
// client's -R listener (the old session still holds the port), the
// client's connection ends, as plain ssh's would have with its upstream,
// and status never counts the dead forward; other clients carry on.
func TestRemoteForwardLostInHeal(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	c := f.share(t)
	if _, err := c.Listen("tcp", "127.0.0.1:7000"); err != nil {
		t.Fatalf("remote forward: %v", err)
	}
	other := f.share(t)
	srv.refuseForwards.Store(true)
	srv.conn(t, 0).kill()

	ended := make(chan error, 1)
	go func() { ended <- c.Wait() }()
	deadline := time.Now().Add(carryWait + 5*time.Second)
	for done := false; !done; {
		select {
		case <-ended:
			done = true
		case <-time.After(10 * time.Millisecond):
		}
		// Healed is read first: the heal counts itself after it has
		// marked the forward as being carried.
		healed := f.m.Status().Healed == 1
		if got := f.m.Status().Forwards; got != 0 && healed {
			t.Fatalf("status forwards after the heal: got %d; want 0 while the forward is not made again", got)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the client with the lost forward still connected %v after the heal; want it ended", carryWait+5*time.Second)
		}
	}
	if got := f.m.Status().Forwards; got != 0 {
		t.Errorf("status forwards after the client ended: got %d; want 0", got)
	}
	if st := f.m.Status(); !strings.Contains(st.LastError, "remote forward 127.0.0.1:7000 lost in a heal") {
		t.Errorf("status last error: got %q; want the lost forward named", st.LastError)
	}
	mustRun(t, other, "other client", "other client\n")
}

// TestRemoteForwardCancelledDuringCarry: a client that cancels its -R
// listener while a heal is still asking the fresh connection for it gets
// yes, and the listener, once the server makes it, is cancelled there:
// nothing answers for it and status never counts it.
func TestRemoteForwardCancelledDuringCarry(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	c := f.share(t)
	ln, err := c.Listen("tcp", "127.0.0.1:7000")
	if err != nil {
		t.Fatalf("remote forward: %v", err)
	}
	srv.refuseForwards.Store(true) // the carry waits, asking again
	srv.conn(t, 0).kill()
	up1 := srv.conn(t, 1)
	sshtest.WaitFor(t, "the carry's first request on the healed connection", func() bool { return up1.received("tcpip-forward") >= 1 })

	if err := ln.Close(); err != nil {
		t.Errorf("cancel during the carry: got %v; want it accepted", err)
	}
	srv.refuseForwards.Store(false)
	sshtest.WaitFor(t, "the carried listener to be made and cancelled", func() bool {
		return up1.granted.Load() == 1 && up1.forwardCount() == 0
	})
	if got := f.m.Status().Forwards; got != 0 {
		t.Errorf("status forwards: got %d; want 0", got)
	}
	_, err = up1.openForwarded("127.0.0.1", 7000)
	var oe *ssh.OpenChannelError
	if !errors.As(err, &oe) || oe.Reason != ssh.Prohibited {
		t.Errorf("forwarded-tcpip for the cancelled listener: got %v; want prohibited", err)
	}
	mustRun(t, c, "still connected", "still connected\n")
}

// TestRemoteForwardAcrossHealDuringHeal: when the fresh connection dies
// under the request for a carried -R listener, the next heal carries it:
// its client stays connected and the forward answers on the third
// connection.
func TestRemoteForwardAcrossHealDuringHeal(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	c := f.share(t)
	ln, err := c.Listen("tcp", "127.0.0.1:7000")
	if err != nil {
		t.Fatalf("remote forward: %v", err)
	}
	go echoAccepted(ln)
	srv.killOnForward.Store(1) // the first carry's request kills its connection
	srv.conn(t, 0).kill()

	sshtest.WaitFor(t, "the second heal", func() bool { return f.m.Status().Healed == 2 })
	up2 := srv.conn(t, 2)
	sshtest.WaitFor(t, "the forward on the third connection", func() bool { return up2.holds("127.0.0.1", 7000) })
	sshtest.WaitFor(t, "status to count the forward", func() bool { return f.m.Status().Forwards == 1 })
	roundTrip(t, up2, "127.0.0.1", 7000)
	mustRun(t, c, "still connected", "still connected\n")
	if got := srv.logins.Load(); got != 3 {
		t.Errorf("upstream logins: got %d; want 3", got)
	}
}

// TestDynamicRemoteForwardAcrossHeal: a -R 0:... listener is carried as
// TCP on the port the server gave it; one whose reply named no port is
// not routed (the client gets the reply as the server gave it), so it is
// neither counted nor asked for again as a socket path.
func TestDynamicRemoteForwardAcrossHeal(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	c := f.share(t)
	ln, err := c.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("dynamic remote forward: %v", err)
	}
	go echoAccepted(ln)
	port := uint32(ln.Addr().(*net.TCPAddr).Port)
	srv.omitBoundPort.Store(true)
	if _, err := c.Listen("tcp", "127.0.0.1:0"); err == nil {
		t.Error("dynamic remote forward whose reply names no port: got a listener; want the reply's parse error")
	}
	if st := f.m.Status(); st.Forwards != 1 || !strings.Contains(st.LastError, "the server gave no port") {
		t.Errorf("status: got forwards %d, last error %q; want 1 (the port-less one not routed), and why", st.Forwards, st.LastError)
	}

	srv.conn(t, 0).kill()
	up1 := srv.conn(t, 1)
	sshtest.WaitFor(t, "the dynamic forward on its port on the healed connection", func() bool { return up1.holds("127.0.0.1", port) })
	sshtest.WaitFor(t, "status to count the forward", func() bool { return f.m.Status().Forwards == 1 })
	roundTrip(t, up1, "127.0.0.1", port)
	mustRun(t, c, "still connected", "still connected\n")
	if got := up1.received("streamlocal-forward@openssh.com"); got != 0 {
		t.Errorf("streamlocal-forward requests on the healed connection: got %d; want 0", got)
	}
	if got := up1.forwardCount(); got != 1 {
		t.Errorf("forwards on the healed connection: got %d; want 1", got)
	}
}

// echoAccepted echoes every connection ln accepts until it closes.
func echoAccepted(ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer conn.Close()
			io.Copy(conn, conn)
		}()
	}
}

// roundTrip opens a forwarded-tcpip channel from the server for
// addr:port and checks that bytes come back from the client's listener.
func roundTrip(t *testing.T, up *fakeConn, addr string, port uint32) {
	t.Helper()
	ch, err := up.openForwarded(addr, port)
	if err != nil {
		t.Fatalf("forwarded-tcpip to the client: %v", err)
	}
	defer ch.Close()
	if _, err := ch.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	ch.CloseWrite()
	if got, err := io.ReadAll(ch); err != nil || string(got) != "ping" {
		t.Errorf("through the remote forward: got %q, %v; want \"ping\"", got, err)
	}
}
