//go:build unix

package share

import (
	"net"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/share/mux"
	"github.com/sshshare/sshshare/share/sshtest"
)

// openForward asks for fwd over c as ssh does and returns the reply.
func (c *muxClient) openForward(fwd mux.Forward) mux.Message {
	c.t.Helper()
	c.write(&mux.OpenForward{RequestID: c.rid, Forward: fwd})
	c.rid++
	return c.read()
}

// isOpen reports whether the master holds fwd open.
func isOpen(m *Master, fwd mux.Forward) bool {
	open, _ := m.muxFwd.find(fwd)
	return open != nil
}

// TestMuxDoorForwardCommand: forwards asked for by ssh -O forward are the
// master's: they outlive the control connection, a -R 0 is answered with
// the allocated port, and ssh -O cancel closes them; a second cancel is a
// failure with the reason.
func TestMuxDoorForwardCommand(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv, withMux())
	local := mux.Forward{Kind: mux.ForwardLocal, ListenHost: "127.0.0.1", ConnectHost: "db", ConnectPort: 5432}
	remote := mux.Forward{Kind: mux.ForwardRemote, ConnectHost: "127.0.0.1", ConnectPort: 1}

	c := dialMux(t, f)
	if ok, isOK := c.openForward(local).(*mux.OK); !isOK || ok.RequestID != 0 {
		t.Fatalf("-L: got %+v; want OK 0", ok)
	}
	rp, isRP := c.openForward(remote).(*mux.RemotePort)
	if !isRP || rp.RequestID != 1 || rp.Port == 0 || !srv.conn(t, 0).holds("localhost", rp.Port) {
		t.Fatalf("-R 0: got %+v; want REMOTE_PORT 1 with the port the server holds", rp)
	}
	c.conn.Close()

	addr := listenAddrs(t, f.m, local)[0]
	echoes(t, dialAddr(t, addr))
	if !isOpen(f.m, remote) {
		t.Error("-R closed with the control connection; want it kept")
	}

	c = dialMux(t, f)
	c.write(&mux.CloseForward{RequestID: 0, Forward: local})
	if ok, isOK := c.read().(*mux.OK); !isOK || ok.RequestID != 0 {
		t.Fatalf("cancel -L: got %+v; want OK 0", ok)
	}
	refused(t, addr)
	c.write(&mux.CloseForward{RequestID: 1, Forward: local})
	if fl, isFl := c.read().(*mux.Failure); !isFl || fl.Reason != "no such forward" {
		t.Errorf("cancel -L again: got %+v; want a failure, no such forward", fl)
	}
	c.write(&mux.CloseForward{RequestID: 2, Forward: remote})
	if ok, isOK := c.read().(*mux.OK); !isOK || srv.conn(t, 0).forwardCount() != 0 {
		t.Errorf("cancel -R: got %+v, %d listeners on the server; want OK, 0", ok, srv.conn(t, 0).forwardCount())
	}
}

// TestMuxDoorForwardWithSession: a forward asked for with a session works
// during it and closes when it ends, unless another holds it: a second
// session's, or ssh -O forward's.
func TestMuxDoorForwardWithSession(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv, withMux())
	fwd := mux.Forward{Kind: mux.ForwardLocal, ListenHost: "127.0.0.1", ConnectHost: "db", ConnectPort: 5432}

	// startCat opens fwd and a "cat" session on a fresh connection; the
	// session ends when the returned function closes its stdin.
	startCat := func() func() {
		c := dialMux(t, f)
		if _, ok := c.openForward(fwd).(*mux.OK); !ok {
			t.Fatal("open forward: not OK")
		}
		p, reply := c.newSession(&mux.NewSession{Command: "cat"})
		if _, ok := reply.(*mux.SessionOpened); !ok {
			t.Fatalf("session: %v; want SESSION_OPENED", reply.Type())
		}
		return func() {
			p.stdinW.Close()
			if _, ok := c.read().(*mux.ExitMessage); !ok {
				t.Fatal("no exit message")
			}
			c.eof()
		}
	}

	end1 := startCat()
	end2 := startCat()
	echoes(t, dialAddr(t, listenAddrs(t, f.m, fwd)[0]))
	end1()
	addr := listenAddrs(t, f.m, fwd)[0] // still open: the second session holds it
	echoes(t, dialAddr(t, addr))
	end2()
	sshtest.WaitFor(t, "the forward to close with the last session", func() bool { return !isOpen(f.m, fwd) })
	refused(t, addr)

	c := dialMux(t, f)
	c.openForward(fwd) // ssh -O forward
	c.conn.Close()
	startCat()()
	if !isOpen(f.m, fwd) {
		t.Error("a forward ssh -O forward asked for closed with a session; want it kept")
	}
}

// TestMuxDoorForwardRefusedSession: the forwards of a control connection
// whose session is refused close with it, so that ssh, falling back to
// its ProxyCommand, can set them up itself.
func TestMuxDoorForwardRefusedSession(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv, withMux())
	fwd := mux.Forward{Kind: mux.ForwardLocal, ListenHost: "127.0.0.1", ConnectHost: "db", ConnectPort: 5432}
	c := dialMux(t, f)
	c.openForward(fwd)
	if _, reply := c.newSession(&mux.NewSession{Command: "hello", WantAgent: true}); reply.Type() != mux.MsgFailure {
		t.Fatalf("session with agent forwarding: %v; want a failure", reply.Type())
	}
	c.conn.Close() // ssh falls back
	sshtest.WaitFor(t, "the forward to close", func() bool { return !isOpen(f.m, fwd) })
}

// TestMuxDoorForwardFailure: a forward that cannot be set up is a
// failure with ssh's reason, and the connection serves on; the forwards
// it opened before close with it, as ssh then falls back to its
// ProxyCommand (or exits, for ssh -O forward).
func TestMuxDoorForwardFailure(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv, withMux())
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	c := dialMux(t, f)
	good := mux.Forward{Kind: mux.ForwardLocal, ListenHost: "127.0.0.1", ConnectHost: "db", ConnectPort: 5432}
	if _, ok := c.openForward(good).(*mux.OK); !ok {
		t.Fatal("open a forward: not OK")
	}
	port := uint32(taken.Addr().(*net.TCPAddr).Port)
	fl, ok := c.openForward(mux.Forward{Kind: mux.ForwardLocal, ListenHost: "127.0.0.1", ListenPort: port, ConnectHost: "db", ConnectPort: 1}).(*mux.Failure)
	if !ok || !strings.Contains(fl.Reason, "address already in use") {
		t.Fatalf("-L on a taken port: got %+v; want a failure naming the bind error", fl)
	}
	fl, ok = c.openForward(mux.Forward{Kind: mux.ForwardRemote, ListenPort: 8080, ConnectHost: "socks"}).(*mux.Failure)
	if !ok || !strings.Contains(fl.Reason, "remote dynamic forwarding") {
		t.Fatalf("remote dynamic: got %+v; want a failure naming it", fl)
	}
	c.write(&mux.AliveCheck{RequestID: c.rid})
	if _, ok := c.read().(*mux.Alive); !ok {
		t.Error("alive check after failed forwards: no alive reply")
	}
	c.conn.Close()
	sshtest.WaitFor(t, "the forward opened before the failure to close", func() bool { return !isOpen(f.m, good) })
}
