package share

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshshare/sshshare/share/mux"
	"github.com/sshshare/sshshare/share/sshtest"
)

// listenAddrs are the addresses the open local or dynamic forward fwd
// listens on.
func listenAddrs(t *testing.T, m *Master, fwd mux.Forward) []net.Addr {
	t.Helper()
	open, err := m.muxFwd.find(fwd)
	if err != nil || open == nil {
		t.Fatalf("forward %s: not open (%v)", forwardString(fwd), err)
	}
	var addrs []net.Addr
	for _, ln := range open.listeners {
		addrs = append(addrs, ln.Addr())
	}
	return addrs
}

// dialAddr connects to addr; the test's cleanup closes the connection.
func dialAddr(t *testing.T, addr net.Addr) net.Conn {
	t.Helper()
	conn, err := net.Dial(addr.Network(), addr.String())
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// echoes checks that what goes into rw comes back, after a half-close:
// the fake upstream echoes direct channels until EOF.
func echoes(t *testing.T, rw io.ReadWriter) {
	t.Helper()
	if _, err := rw.Write([]byte("ping")); err != nil {
		t.Fatalf("write: %v", err)
	}
	if cw, ok := rw.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	if got, err := io.ReadAll(rw); err != nil || string(got) != "ping" {
		t.Errorf("through the forward: got %q, %v; want \"ping\"", got, err)
	}
}

// refused checks that nothing listens on addr any more.
func refused(t *testing.T, addr net.Addr) {
	t.Helper()
	conn, err := net.Dial(addr.Network(), addr.String())
	if err == nil {
		conn.Close()
		t.Errorf("dial %s after the forward closed: connected; want refused", addr)
	}
}

// shortTempDir is a temporary directory whose paths fit a Unix socket.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "f")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// TestMuxForwardLocal: -L listens where asked, carries each connection
// over a direct-tcpip channel to the connect side (named to the server,
// with the connection's origin), counts in status, opens once however
// often it is asked, and is gone once closed; closing it again is an
// error.
func TestMuxForwardLocal(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	fwd := mux.Forward{Kind: mux.ForwardLocal, ListenHost: "127.0.0.1", ConnectHost: "db.internal", ConnectPort: 5432}
	if port, err := f.m.openMuxForward(fwd); port != 0 || err != nil {
		t.Fatalf("open: got %d, %v; want 0, nil", port, err)
	}
	addrs := listenAddrs(t, f.m, fwd)
	if len(addrs) != 1 {
		t.Fatalf("listeners: got %v; want one on 127.0.0.1", addrs)
	}
	echoes(t, dialAddr(t, addrs[0]))
	echoes(t, dialAddr(t, addrs[0]))
	if got := srv.conn(t, 0).openedTargets(); !slices.Equal(got, []string{"db.internal:5432 from 127.0.0.1", "db.internal:5432 from 127.0.0.1"}) {
		t.Errorf("direct channels: got %q; want two to db.internal:5432 from 127.0.0.1", got)
	}
	if got := f.m.Status().Forwards; got != 1 {
		t.Errorf("status forwards: got %d; want 1", got)
	}

	if port, err := f.m.openMuxForward(fwd); port != 0 || err != nil {
		t.Errorf("open again: got %d, %v; want 0, nil", port, err)
	}
	if again := listenAddrs(t, f.m, fwd); !slices.Equal(again, addrs) {
		t.Errorf("listeners after opening again: got %v; want the same %v", again, addrs)
	}

	if err := f.m.closeMuxForward(fwd); err != nil {
		t.Fatalf("close: %v", err)
	}
	refused(t, addrs[0])
	if got := f.m.Status().Forwards; got != 0 {
		t.Errorf("status forwards after close: got %d; want 0", got)
	}
	if err := f.m.closeMuxForward(fwd); !errors.Is(err, errNoSuchForward) {
		t.Errorf("close again: got %v; want %v", err, errNoSuchForward)
	}
}

// TestMuxForwardLocalLoopback: a forward with no listen address, or
// "localhost", listens on every loopback address the system has, on one
// port.
func TestMuxForwardLocalLoopback(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	for _, host := range []string{"", "localhost"} {
		t.Run("host "+strconv.Quote(host), func(t *testing.T) {
			fwd := mux.Forward{Kind: mux.ForwardLocal, ListenHost: host, ConnectHost: "db", ConnectPort: 5432}
			if _, err := f.m.openMuxForward(fwd); err != nil {
				t.Fatalf("open: %v", err)
			}
			defer f.m.closeMuxForward(fwd)
			addrs := listenAddrs(t, f.m, fwd)
			for _, a := range addrs {
				ta := a.(*net.TCPAddr)
				if !ta.IP.IsLoopback() || ta.Port != addrs[0].(*net.TCPAddr).Port {
					t.Errorf("listener %v: want loopback, port %d", a, addrs[0].(*net.TCPAddr).Port)
				}
				echoes(t, dialAddr(t, a))
			}
			if len(addrs) == 0 || addrs[0].(*net.TCPAddr).IP.String() != "127.0.0.1" {
				t.Errorf("listeners: got %v; want 127.0.0.1 first", addrs)
			}
		})
	}
}

// TestMuxForwardLocalBindError: a port in use is refused with ssh's kind
// of line.
func TestMuxForwardLocalBindError(t *testing.T) {
	sshtest.SkipOnWindows(t, "the mux door is off there (Win32-OpenSSH has no ControlMaster)")
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port
	fwd := mux.Forward{Kind: mux.ForwardLocal, ListenHost: "127.0.0.1", ListenPort: uint32(port), ConnectHost: "db", ConnectPort: 5432}
	_, err = f.m.openMuxForward(fwd)
	want := "bind 127.0.0.1:" + strconv.Itoa(port) + ": address already in use"
	if err == nil || err.Error() != want {
		t.Errorf("open on a taken port: got %v; want %q", err, want)
	}
	if err := f.m.closeMuxForward(fwd); !errors.Is(err, errNoSuchForward) {
		t.Errorf("close of the failed forward: got %v; want %v", err, errNoSuchForward)
	}
}

// TestMuxForwardLocalUnix: -L on a Unix socket path makes it mode 0600
// and leaves no temporary name behind; a connection to it reaches a Unix
// socket path on the server over direct-streamlocal; closing removes the
// socket; an existing path and a relative one are refused.
func TestMuxForwardLocalUnix(t *testing.T) {
	sshtest.SkipOnWindows(t, "the mux door is off there (Win32-OpenSSH has no ControlMaster)")
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	dir := shortTempDir(t)
	path := filepath.Join(dir, "l.sock")
	fwd := mux.Forward{Kind: mux.ForwardLocal, ListenHost: path, ListenPort: mux.PortStreamLocal,
		ConnectHost: "/run/app.sock", ConnectPort: mux.PortStreamLocal}
	if _, err := f.m.openMuxForward(fwd); err != nil {
		t.Fatalf("open: %v", err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode()&os.ModeSocket == 0 || info.Mode().Perm() != 0o600 {
		t.Fatalf("socket: got %v, %v; want a socket, mode 0600", info.Mode(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d entries; want only the socket", len(entries))
	}
	echoes(t, dialAddr(t, &net.UnixAddr{Name: path, Net: "unix"}))
	if got := srv.conn(t, 0).openedTargets(); !slices.Equal(got, []string{"/run/app.sock"}) {
		t.Errorf("direct channels: got %q; want one to /run/app.sock", got)
	}
	if err := f.m.closeMuxForward(fwd); err != nil {
		t.Fatalf("close: %v", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket after close: %v; want it removed", err)
	}

	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = f.m.openMuxForward(fwd)
	if want := "bind " + path + ": address already in use"; err == nil || err.Error() != want {
		t.Errorf("open on an existing path: got %v; want %q", err, want)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the existing file: %v; want it left alone", err)
	}
	rel := fwd
	rel.ListenHost = "l.sock"
	if _, err := f.m.openMuxForward(rel); err == nil || !strings.Contains(err.Error(), "must be absolute") {
		t.Errorf("open on a relative path: got %v; want it refused", err)
	}
}

// TestListenUnixForwardLongPath: a path too long for the temporary name
// beside it is still served, mode 0600.
func TestListenUnixForwardLongPath(t *testing.T) {
	sshtest.SkipOnWindows(t, "the mux door is off there (Win32-OpenSSH has no ControlMaster)")
	dir := shortTempDir(t)
	path := filepath.Join(dir, strings.Repeat("s", 100-len(dir)))
	ln, err := listenUnixForward(path)
	if err != nil {
		t.Fatalf("listen on a %d-byte path: %v", len(path), err)
	}
	defer ln.Close()
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("socket: got %v, %v; want mode 0600", info.Mode(), err)
	}
}

// socks5Connect asks for host:port over conn in SOCKS5 and returns the
// reply code.
func socks5Connect(t *testing.T, conn net.Conn, host string, port uint16) byte {
	t.Helper()
	req := join(socks5Greeting, socks5Request(1, 3, append([]byte{byte(len(host))}, host...), port))
	if _, err := conn.Write(req); err != nil {
		t.Fatal(err)
	}
	reply := make([]byte, 2+10)
	if _, err := io.ReadFull(conn, reply); err != nil {
		t.Fatalf("socks5 reply: %v", err)
	}
	if reply[0] != 5 || reply[1] != 0 || reply[2] != 5 {
		t.Fatalf("socks5 reply: got %v; want the no-auth method, then a reply", reply)
	}
	return reply[3]
}

// TestMuxForwardDynamic: -D serves SOCKS5 and SOCKS4a CONNECT with
// direct-tcpip channels to the names asked for, unresolved, and answers a
// refused one with a SOCKS refusal.
func TestMuxForwardDynamic(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	fwd := mux.Forward{Kind: mux.ForwardDynamic, ListenHost: "127.0.0.1", ConnectHost: "socks"}
	if _, err := f.m.openMuxForward(fwd); err != nil {
		t.Fatalf("open: %v", err)
	}
	addr := listenAddrs(t, f.m, fwd)[0]

	t.Run("socks5", func(t *testing.T) {
		conn := dialAddr(t, addr)
		if code := socks5Connect(t, conn, "only.remote.test", 80); code != socks5Succeeded {
			t.Fatalf("socks5 reply code: got %d; want 0", code)
		}
		echoes(t, conn)
	})
	t.Run("socks4a", func(t *testing.T) {
		conn := dialAddr(t, addr)
		conn.Write([]byte{4, 1, 0x1f, 0x90, 0, 0, 0, 1, 'u', 0, 'd', 'b', '.', 'i', 'n', 't', 'e', 'r', 'n', 0})
		reply := make([]byte, 8)
		if _, err := io.ReadFull(conn, reply); err != nil || reply[1] != socks4Granted {
			t.Fatalf("socks4 reply: got %v, %v; want granted", reply, err)
		}
		echoes(t, conn)
	})
	t.Run("refused", func(t *testing.T) {
		conn := dialAddr(t, addr)
		if code := socks5Connect(t, conn, "only.remote.test", 1); code != socks5Refused {
			t.Errorf("socks5 reply code for a refused port: got %d; want %d", code, socks5Refused)
		}
		if rest, _ := io.ReadAll(conn); len(rest) != 0 {
			t.Errorf("after the refusal: got %q; want the connection closed", rest)
		}
	})
	want := []string{"only.remote.test:80 from 127.0.0.1", "db.intern:8080 from 127.0.0.1"}
	if got := srv.conn(t, 0).openedTargets(); !slices.Equal(got, want) {
		t.Errorf("direct channels: got %q; want %q", got, want)
	}
}

// TestMuxForwardRemote: -R with port 0 returns the port the server
// allocated, on ssh's default bind address; the server's connections to
// it are dialled to the connect side; opening it again gives the same
// port without asking the server; closing cancels it upstream before it
// returns, after which the server's connections are refused.
func TestMuxForwardRemote(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	local, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	go echoAccepted(local)
	fwd := mux.Forward{Kind: mux.ForwardRemote, ConnectHost: "127.0.0.1", ConnectPort: uint32(local.Addr().(*net.TCPAddr).Port)}
	port, err := f.m.openMuxForward(fwd)
	if err != nil || port == 0 {
		t.Fatalf("open: got %d, %v; want an allocated port", port, err)
	}
	up0 := srv.conn(t, 0)
	if !up0.holds("localhost", port) {
		t.Fatalf("the server holds no listener on localhost:%d", port)
	}
	roundTrip(t, up0, "localhost", port)
	roundTrip(t, up0, "127.0.0.1", port) // a normalised bind address
	if got := f.m.Status().Forwards; got != 1 {
		t.Errorf("status forwards: got %d; want 1", got)
	}

	if again, err := f.m.openMuxForward(fwd); again != port || err != nil {
		t.Errorf("open again: got %d, %v; want %d, nil", again, err, port)
	}
	if got := up0.received("tcpip-forward"); got != 1 {
		t.Errorf("tcpip-forward requests: got %d; want 1", got)
	}

	if err := f.m.closeMuxForward(fwd); err != nil {
		t.Fatalf("close: %v", err)
	}
	if up0.forwardCount() != 0 {
		t.Error("the server still holds the listener after close returned")
	}
	_, err = up0.openForwarded("localhost", port)
	var oe *ssh.OpenChannelError
	if !errors.As(err, &oe) || oe.Reason != ssh.Prohibited {
		t.Errorf("forwarded-tcpip after close: got %v; want prohibited", err)
	}
	if got := f.m.Status().Forwards; got != 0 {
		t.Errorf("status forwards after close: got %d; want 0", got)
	}
}

// TestMuxForwardRemoteUnix: -R from a Unix socket path on the server to
// one here: streamlocal-forward upstream, and forwarded-streamlocal
// channels dialled to the local path.
func TestMuxForwardRemoteUnix(t *testing.T) {
	sshtest.SkipOnWindows(t, "the mux door is off there (Win32-OpenSSH has no ControlMaster)")
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	path := filepath.Join(shortTempDir(t), "app.sock")
	local, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	go echoAccepted(local)
	fwd := mux.Forward{Kind: mux.ForwardRemote, ListenHost: "/remote/app.sock", ListenPort: mux.PortStreamLocal,
		ConnectHost: path, ConnectPort: mux.PortStreamLocal}
	if port, err := f.m.openMuxForward(fwd); port != 0 || err != nil {
		t.Fatalf("open: got %d, %v; want 0, nil", port, err)
	}
	up0 := srv.conn(t, 0)
	if !up0.holds("/remote/app.sock", 0) {
		t.Fatal("the server holds no listener on /remote/app.sock")
	}
	ch, err := up0.open("forwarded-streamlocal@openssh.com", ssh.Marshal(forwardedStreamlocalMsg{Path: "/remote/app.sock"}))
	if err != nil {
		t.Fatalf("forwarded-streamlocal: %v", err)
	}
	defer ch.Close()
	echoes(t, ch)
	if err := f.m.closeMuxForward(fwd); err != nil || up0.forwardCount() != 0 {
		t.Errorf("close: %v, %d listeners left on the server; want nil, 0", err, up0.forwardCount())
	}
}

// TestMuxForwardRemoteFailures: a listener the server refuses is ssh's
// line; a connect side that refuses refuses the server's channel, and
// the forward stays.
func TestMuxForwardRemoteFailures(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	srv.refuseForwards.Store(true)
	fwd := mux.Forward{Kind: mux.ForwardRemote, ListenPort: 8080, ConnectHost: "127.0.0.1", ConnectPort: 1}
	_, err := f.m.openMuxForward(fwd)
	if want := "remote port forwarding failed for listen port 8080"; err == nil || err.Error() != want {
		t.Errorf("open refused by the server: got %v; want %q", err, want)
	}
	srv.refuseForwards.Store(false)
	if _, err := f.m.openMuxForward(fwd); err != nil {
		t.Fatalf("open: %v", err)
	}
	_, err = srv.conn(t, 0).openForwarded("localhost", 8080)
	var oe *ssh.OpenChannelError
	if !errors.As(err, &oe) || oe.Reason != ssh.ConnectionFailed {
		t.Errorf("forwarded-tcpip to a closed local port: got %v; want connect failed", err)
	}
	if got := f.m.Status().Forwards; got != 1 {
		t.Errorf("status forwards: got %d; want 1", got)
	}
}

// TestMuxForwardRemoteAcrossHeal: a mux -R listener is carried to the
// healed connection like a client's; one the server will not make again
// is dropped from the master's forwards.
func TestMuxForwardRemoteAcrossHeal(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	local, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	go echoAccepted(local)
	connect := uint32(local.Addr().(*net.TCPAddr).Port)
	kept := mux.Forward{Kind: mux.ForwardRemote, ListenHost: "127.0.0.1", ListenPort: 7000, ConnectHost: "127.0.0.1", ConnectPort: connect}
	if _, err := f.m.openMuxForward(kept); err != nil {
		t.Fatalf("open: %v", err)
	}
	srv.conn(t, 0).kill()
	up1 := srv.conn(t, 1)
	sshtest.WaitFor(t, "the forward on the healed connection", func() bool { return up1.holds("127.0.0.1", 7000) })
	sshtest.WaitFor(t, "status to count the forward", func() bool { return f.m.Status().Forwards == 1 })
	roundTrip(t, up1, "127.0.0.1", 7000)

	srv.refuseForwards.Store(true)
	up1.kill()
	// The carry asks again for carryWait before it gives up.
	for deadline := time.Now().Add(carryWait + 5*time.Second); ; time.Sleep(10 * time.Millisecond) {
		if open, _ := f.m.muxFwd.find(kept); open == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the lost forward still open %v after the heal; want it dropped", carryWait+5*time.Second)
		}
	}
	if st := f.m.Status(); !strings.Contains(st.LastError, "remote forward 127.0.0.1:7000 lost in a heal") {
		t.Errorf("last error: got %q; want the lost forward named", st.LastError)
	}
	if err := f.m.closeMuxForward(kept); !errors.Is(err, errNoSuchForward) {
		t.Errorf("close of the lost forward: got %v; want %v", err, errNoSuchForward)
	}
	if got := f.m.Status().Forwards; got != 0 {
		t.Errorf("status forwards: got %d; want 0", got)
	}
}

// TestCloseMuxForwards: closing every mux forward stops the listeners and
// cancels the remote ones; no forward opens after it.
func TestCloseMuxForwards(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	local := mux.Forward{Kind: mux.ForwardLocal, ListenHost: "127.0.0.1", ConnectHost: "db", ConnectPort: 5432}
	dynamic := mux.Forward{Kind: mux.ForwardDynamic, ListenHost: "127.0.0.1", ConnectHost: "socks"}
	remote := mux.Forward{Kind: mux.ForwardRemote, ListenPort: 7000, ConnectHost: "127.0.0.1", ConnectPort: 1}
	var addrs []net.Addr
	for _, fwd := range []mux.Forward{local, dynamic, remote} {
		if _, err := f.m.openMuxForward(fwd); err != nil {
			t.Fatalf("open %s: %v", forwardString(fwd), err)
		}
		if fwd.Kind != mux.ForwardRemote {
			addrs = append(addrs, listenAddrs(t, f.m, fwd)...)
		}
	}
	if got := f.m.Status().Forwards; got != 3 {
		t.Errorf("status forwards: got %d; want 3", got)
	}
	f.m.closeMuxForwards()
	for _, a := range addrs {
		refused(t, a)
	}
	up0 := srv.conn(t, 0)
	sshtest.WaitFor(t, "the remote forward's cancel upstream", func() bool { return up0.forwardCount() == 0 })
	if got := f.m.Status().Forwards; got != 0 {
		t.Errorf("status forwards: got %d; want 0", got)
	}
	if _, err := f.m.openMuxForward(local); !errors.Is(err, errMuxForwardsEnded) {
		t.Errorf("open after closing all: got %v; want %v", err, errMuxForwardsEnded)
	}
	if err := f.m.closeMuxForward(remote); !errors.Is(err, errNoSuchForward) {
		t.Errorf("close after closing all: got %v; want %v", err, errNoSuchForward)
	}
}

// TestOpenMuxForwardConcurrent: the same forward asked for at once from
// several control connections is set up once, and each hears its port.
func TestOpenMuxForwardConcurrent(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	fwd := mux.Forward{Kind: mux.ForwardRemote, ConnectHost: "127.0.0.1", ConnectPort: 1}
	ports := make([]uint32, 8)
	var wg sync.WaitGroup
	for i := range ports {
		wg.Go(func() {
			var err error
			if ports[i], err = f.m.openMuxForward(fwd); err != nil {
				t.Errorf("open %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	for _, p := range ports {
		if p == 0 || p != ports[0] {
			t.Fatalf("ports: got %v; want one allocated port for all", ports)
		}
	}
	if got := srv.conn(t, 0).received("tcpip-forward"); got != 1 {
		t.Errorf("tcpip-forward requests: got %d; want 1", got)
	}
}

// TestCheckMuxForward: forwards that cannot be set up as asked are
// refused with the reason, before anything is opened.
func TestCheckMuxForward(t *testing.T) {
	sshtest.SkipOnWindows(t, "the mux door's Unix socket paths are Unix paths; Windows has no mux door")
	tests := []struct {
		name string
		fwd  mux.Forward
		want string
	}{
		{"local", mux.Forward{Kind: mux.ForwardLocal, ListenPort: 8080, ConnectHost: "db", ConnectPort: 5432}, ""},
		{"dynamic", mux.Forward{Kind: mux.ForwardDynamic, ListenPort: 1080, ConnectHost: "socks"}, ""},
		{"remote", mux.Forward{Kind: mux.ForwardRemote, ListenPort: 0, ConnectHost: "localhost", ConnectPort: 80}, ""},
		{"remote to a path", mux.Forward{Kind: mux.ForwardRemote, ListenPort: 80, ConnectHost: "/run/a.sock", ConnectPort: mux.PortStreamLocal}, ""},
		{"unknown type", mux.Forward{Kind: 9, ListenPort: 1, ConnectHost: "h", ConnectPort: 1}, "invalid forwarding type 9"},
		{"dynamic on a path", mux.Forward{Kind: mux.ForwardDynamic, ListenHost: "/tmp/s", ListenPort: mux.PortStreamLocal}, "cannot listen on a Unix socket"},
		{"listen port", mux.Forward{Kind: mux.ForwardLocal, ListenPort: 70000, ConnectHost: "h", ConnectPort: 1}, "invalid listen port 70000"},
		{"connect port", mux.Forward{Kind: mux.ForwardLocal, ListenPort: 1, ConnectHost: "h", ConnectPort: 70000}, "invalid connect port 70000"},
		{"local without connect port", mux.Forward{Kind: mux.ForwardLocal, ListenPort: 1, ConnectHost: "h"}, "missing connect host or port"},
		{"remote without connect host", mux.Forward{Kind: mux.ForwardRemote, ListenPort: 1, ConnectPort: 80}, "missing connect host"},
		{"remote dynamic", mux.Forward{Kind: mux.ForwardRemote, ListenPort: 1080, ConnectHost: "socks"},
			"remote dynamic forwarding over the mux door is not supported; run ssh without ControlPath"},
		{"remote to a relative path", mux.Forward{Kind: mux.ForwardRemote, ListenPort: 80, ConnectHost: "a.sock", ConnectPort: mux.PortStreamLocal}, "must be absolute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkMuxForward(tt.fwd)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("got %v; want %q", err, tt.want)
			}
		})
	}
}

// TestForwardString names forwards as ssh's command line does.
func TestForwardString(t *testing.T) {
	tests := []struct {
		fwd  mux.Forward
		want string
	}{
		{mux.Forward{Kind: mux.ForwardLocal, ListenPort: 8080, ConnectHost: "db", ConnectPort: 5432}, "-L 8080:db:5432"},
		{mux.Forward{Kind: mux.ForwardLocal, ListenHost: "::1", ListenPort: 8080, ConnectHost: "db", ConnectPort: 5432}, "-L [::1]:8080:db:5432"},
		{mux.Forward{Kind: mux.ForwardRemote, ListenHost: "/r.sock", ListenPort: mux.PortStreamLocal, ConnectHost: "/l.sock", ConnectPort: mux.PortStreamLocal}, "-R /r.sock:/l.sock"},
		{mux.Forward{Kind: mux.ForwardDynamic, ListenHost: "*", ListenPort: 1080, ConnectHost: "socks"}, "-D *:1080"},
	}
	for _, tt := range tests {
		if got := forwardString(tt.fwd); got != tt.want {
			t.Errorf("got %q; want %q", got, tt.want)
		}
	}
}

// heldAnswerConn answers global requests only when told to, and reports each
// request's type.
type heldAnswerConn struct {
	ssh.Conn
	answer chan bool
	sent   chan string
}

func (c *heldAnswerConn) SendRequest(typ string, wantReply bool, _ []byte) (bool, []byte, error) {
	c.sent <- typ
	if !wantReply {
		return false, nil, nil
	}
	return <-c.answer, nil, nil
}

// TestSendRequestWithin: an answer that does not come in time is an
// error, and the late answer still reaches late, so a listener the
// server grants after the client was told no can be cancelled.
func TestSendRequestWithin(t *testing.T) {
	conn := &heldAnswerConn{answer: make(chan bool), sent: make(chan string, 4)}
	lateOK := make(chan bool, 1)
	_, _, err := sendRequestWithin(conn, "tcpip-forward", nil, 10*time.Millisecond, func(ok bool, _ []byte) { lateOK <- ok })
	if err == nil || !strings.Contains(err.Error(), "no answer from the server") {
		t.Fatalf("got %v; want no answer in time", err)
	}
	conn.answer <- true
	if !sshtest.RecvWithin(t, lateOK, 5*time.Second, "the late answer") {
		t.Error("late answer: got no; want yes")
	}

	go func() { conn.answer <- true }()
	if ok, _, err := sendRequestWithin(conn, "tcpip-forward", nil, 5*time.Second, nil); !ok || err != nil {
		t.Errorf("answered in time: got %v, %v; want yes", ok, err)
	}
}

// TestBindHosts: a forward over the mux door listens where ssh would:
// with GatewayPorts no (the default) only on loopback, whatever address
// was asked for (`-L *:8080:…` included), unless 127.0.0.1 or ::1 by name.
func TestBindHosts(t *testing.T) {
	loop := []string{"127.0.0.1", "::1"}
	for _, tc := range []struct {
		host    string
		gateway bool
		want    []string
	}{
		{"", false, loop},
		{"*", false, loop},
		{"0.0.0.0", false, loop},
		{"192.0.2.7", false, loop},
		{"localhost", false, loop},
		{"127.0.0.1", false, []string{"127.0.0.1"}},
		{"::1", false, []string{"::1"}},
		{"", true, []string{""}},
		{"*", true, []string{""}},
		{"localhost", true, loop},
		{"192.0.2.7", true, []string{"192.0.2.7"}},
	} {
		if got := bindHosts(tc.host, tc.gateway); !slices.Equal(got, tc.want) {
			t.Errorf("bindHosts(%q, GatewayPorts %v) = %q; want %q", tc.host, tc.gateway, got, tc.want)
		}
	}
}
