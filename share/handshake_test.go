package share

import (
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/sshtest"
	"golang.org/x/crypto/ssh"
)

// TestMasterSilentClient (issue 17 item 9): a share hello followed by
// silence is not counted as a client, and does not keep the master from
// idling out: its handshake ends at the deadline. Before, it counted for
// ever and the master never expired.
func TestMasterSilentClient(t *testing.T) {
	const persist = 200 * time.Millisecond
	srv := newFakeUpstream(t)
	f := startMaster(t, srv, withPersist(persist), withHandshakeWait(500*time.Millisecond))
	conn, err := control.Dial(f.socket, control.Hello{Version: control.ProtocolVersion, Op: control.OpShare})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	time.Sleep(2 * persist)
	if n := f.m.Status().Clients; n != 0 {
		t.Errorf("status while a client is silent after its hello: %d clients; want 0", n)
	}
	if reason := f.waitServed(t, 5*time.Second); reason != "idle for "+persist.String() {
		t.Errorf("exit reason: got %q; want idle for %v", reason, persist)
	}
}

// TestMasterHandshakeWaitsForLogin: the deadline counts only the client's
// own time; a starter whose handshake waits for a slow upstream login
// still gets in.
func TestMasterHandshakeWaitsForLogin(t *testing.T) {
	srv := newFakeUpstream(t)
	srv.authGate = make(chan struct{})
	f := startMaster(t, srv, withHandshakeWait(300*time.Millisecond))
	sshtest.RecvWithin(t, srv.authStarted, 5*time.Second, "the login to reach authentication")
	go func() {
		time.Sleep(time.Second) // over three deadlines
		close(srv.authGate)
	}()
	conn, err := control.Dial(f.socket, control.Hello{Version: control.ProtocolVersion, Op: control.OpShare, Starter: true})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ClientConfig{User: "test", HostKeyCallback: f.m.keys.HostKeyCallback(), Timeout: 5 * time.Second}
	sc, chans, reqs, err := ssh.NewClientConn(conn, "upstream.test:22", cfg)
	if err != nil {
		conn.Close()
		t.Fatalf("share as the starter during a slow login: %v", err)
	}
	c := ssh.NewClient(sc, chans, reqs)
	defer c.Close()
	mustRun(t, c, "hi", "hi\n")
	if n := f.m.Status().Clients; n != 1 {
		t.Errorf("status: %d clients; want 1", n)
	}
}
