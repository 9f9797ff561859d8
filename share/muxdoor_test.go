//go:build unix

package share

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/sys/unix"

	"github.com/sshshare/sshshare/share/mux"
	"github.com/sshshare/sshshare/share/upstream"
)

// withMux gives the test master a mux door beside its socket.
func withMux() masterOption {
	return func(c *MasterConfig, _ *upstream.HostConfig) { c.MuxSocket = c.Socket + ".mux" }
}

// muxClient is a stock ssh's side of the mux door, as far as the tests
// need it.
type muxClient struct {
	t    *testing.T
	conn *net.UnixConn
	rid  uint32
}

// dialMux connects to the master's mux door and exchanges hellos: the
// master's comes first, unasked.
func dialMux(t *testing.T, f *masterFixture) *muxClient {
	t.Helper()
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: f.m.cfg.MuxSocket, Net: "unix"})
	if err != nil {
		t.Fatalf("dial the mux door: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &muxClient{t: t, conn: conn}
	if h, ok := c.read().(*mux.Hello); !ok || h.Version != mux.ProtocolVersion {
		t.Fatalf("master's first packet is not a version 4 hello")
	}
	c.write(&mux.Hello{Version: mux.ProtocolVersion})
	return c
}

func (c *muxClient) write(m mux.Message) {
	c.t.Helper()
	if err := mux.Write(c.conn, m); err != nil {
		c.t.Fatalf("write %v: %v", m.Type(), err)
	}
}

func (c *muxClient) read() mux.Message {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer c.conn.SetReadDeadline(time.Time{})
	m, err := mux.Read(c.conn)
	if err != nil {
		c.t.Fatalf("read from the mux door: %v", err)
	}
	return m
}

// sendFds passes files as OpenSSH's mm_send_fd does: one byte each.
func (c *muxClient) sendFds(files ...*os.File) {
	c.t.Helper()
	for _, f := range files {
		if _, _, err := c.conn.WriteMsgUnix([]byte{0}, unix.UnixRights(int(f.Fd())), nil); err != nil {
			c.t.Fatalf("send fd: %v", err)
		}
	}
}

// eof waits for the master to close the connection.
func (c *muxClient) eof() {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if m, err := mux.Read(c.conn); !errors.Is(err, io.EOF) {
		c.t.Fatalf("got %v, %v; want the master to close the connection", m, err)
	}
}

// muxSessionPipes is one session's client side: pipes for its stdio.
type muxSessionPipes struct {
	stdinW, stdoutR, stderrR *os.File
}

// newSession asks for req's session over pipes and returns them and the
// master's reply.
func (c *muxClient) newSession(req *mux.NewSession) (*muxSessionPipes, mux.Message) {
	c.t.Helper()
	inR, inW := pipe(c.t)
	outR, outW := pipe(c.t)
	errR, errW := pipe(c.t)
	req.RequestID = c.rid
	req.EscapeChar = mux.EscapeNone
	c.write(req)
	c.sendFds(inR, outW, errW)
	for _, f := range []*os.File{inR, outW, errW} {
		f.Close()
	}
	return &muxSessionPipes{stdinW: inW, stdoutR: outR, stderrR: errR}, c.read()
}

func pipe(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// TestMuxDoorControl: the master's hello comes unasked, an alive check
// gets its pid, an unknown request a failure with its id, and -O exit
// ends the master after its OK.
func TestMuxDoorControl(t *testing.T) {
	f := startMaster(t, newFakeUpstream(t), withMux())
	c := dialMux(t, f)
	c.write(&mux.AliveCheck{RequestID: 0})
	if a, ok := c.read().(*mux.Alive); !ok || a.RequestID != 0 || int(a.PID) != os.Getpid() {
		t.Fatalf("alive reply %+v; want request 0 and pid %d", a, os.Getpid())
	}
	if err := mux.WritePacket(c.conn, []byte{0x10, 0, 0, 0x42, 0, 0, 0, 1}); err != nil {
		t.Fatal(err)
	}
	if fl, ok := c.read().(*mux.Failure); !ok || fl.RequestID != 1 {
		t.Fatalf("reply to an unknown request %+v; want a failure for request 1", fl)
	}
	c.write(&mux.Terminate{RequestID: 2})
	if ok, isOK := c.read().(*mux.OK); !isOK || ok.RequestID != 2 {
		t.Fatalf("reply to terminate: %+v; want OK 2", ok)
	}
	f.waitServed(t, 10*time.Second)
	if _, err := os.Lstat(f.m.cfg.MuxSocket); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("mux socket after -O exit: %v; want it removed", err)
	}
}

// TestMuxDoorSession: a command runs on the client's own descriptors:
// stdin reaches it, its output and exit status come back, the client's
// environment is passed on, and the connection closes after the output.
func TestMuxDoorSession(t *testing.T) {
	f := startMaster(t, newFakeUpstream(t), withMux())
	for _, tc := range []struct {
		cmd, stdin, want string
		env              []string
		status           uint32
	}{
		{cmd: "hello", want: "hello\n"},
		{cmd: "cat", stdin: "typed\n", want: "typed\n"},
		{cmd: "env", env: []string{"GIT_PROTOCOL=version=2", "LANG=C"}, want: "GIT_PROTOCOL=version=2\nLANG=C\n"},
		{cmd: "exit 44", status: 44},
	} {
		c := dialMux(t, f)
		c.write(&mux.AliveCheck{RequestID: 0})
		c.read()
		c.rid = 1
		p, reply := c.newSession(&mux.NewSession{Command: tc.cmd, Env: tc.env})
		opened, ok := reply.(*mux.SessionOpened)
		if !ok || opened.RequestID != 1 {
			t.Fatalf("%s: reply %v %+v; want SESSION_OPENED for request 1", tc.cmd, reply.Type(), reply)
		}
		io.WriteString(p.stdinW, tc.stdin)
		p.stdinW.Close()
		exit, ok := c.read().(*mux.ExitMessage)
		if !ok || exit.SessionID != opened.SessionID || exit.ExitValue != tc.status {
			t.Fatalf("%s: exit %+v; want session %d status %d", tc.cmd, exit, opened.SessionID, tc.status)
		}
		c.eof()
		out, _ := io.ReadAll(p.stdoutR)
		if string(out) != tc.want {
			t.Errorf("%s: stdout %q; want %q", tc.cmd, out, tc.want)
		}
	}
	if got := f.m.Status().MuxSessions; got != 4 {
		t.Errorf("status mux_sessions = %d; want 4", got)
	}
}

// TestMuxDoorFallsBack: what the door leaves to the ProxyCommand (agent
// forwarding) is refused before anything is read, so ssh falls back.
func TestMuxDoorFallsBack(t *testing.T) {
	f := startMaster(t, newFakeUpstream(t), withMux())
	c := dialMux(t, f)
	_, reply := c.newSession(&mux.NewSession{Command: "hello", WantAgent: true})
	fl, ok := reply.(*mux.Failure)
	if !ok || !strings.Contains(fl.Reason, "agent") {
		t.Fatalf("reply %+v; want a failure naming agent forwarding", reply)
	}
}

// TestMuxDoorStdioForward: ssh -W splices its stdin and stdout to a
// direct-tcpip channel (the fake echoes), and a refused channel is a
// failure with the server's reason.
func TestMuxDoorStdioForward(t *testing.T) {
	f := startMaster(t, newFakeUpstream(t), withMux())
	c := dialMux(t, f)
	inR, inW := pipe(t)
	outR, outW := pipe(t)
	c.write(&mux.NewStdioForward{RequestID: 0, Host: "echo.test", Port: 7})
	c.sendFds(inR, outW)
	inR.Close()
	outW.Close()
	if _, ok := c.read().(*mux.SessionOpened); !ok {
		t.Fatal("no SESSION_OPENED for the stdio forward")
	}
	io.WriteString(inW, "ping")
	inW.Close()
	out, _ := io.ReadAll(outR)
	if string(out) != "ping" {
		t.Errorf("through the stdio forward: %q; want %q", out, "ping")
	}

	c = dialMux(t, f)
	inR, _ = pipe(t)
	_, outW = pipe(t)
	c.write(&mux.NewStdioForward{RequestID: 0, Host: "closed.test", Port: 1})
	c.sendFds(inR, outW)
	if fl, ok := c.read().(*mux.Failure); !ok || !strings.Contains(fl.Reason, "refused") {
		t.Errorf("stdio forward to a closed port: %+v; want a failure with the server's reason", fl)
	}
}

// TestMuxDoorStop: -O stop unpublishes both sockets; the master ends once
// its clients are gone.
func TestMuxDoorStop(t *testing.T) {
	f := startMaster(t, newFakeUpstream(t), withMux())
	c := dialMux(t, f)
	c.write(&mux.StopListening{RequestID: 0})
	if _, ok := c.read().(*mux.OK); !ok {
		t.Fatal("no OK for stop listening")
	}
	for _, p := range []string{f.socket, f.m.cfg.MuxSocket} {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s after -O stop: %v; want it removed", filepath.Base(p), err)
		}
	}
	f.waitServed(t, 10*time.Second)
}

// TestMuxDoorBadClient: a client that sends nothing past the master's
// hello, or a packet over the limit, is dropped; others are served
// meanwhile.
func TestMuxDoorBadClient(t *testing.T) {
	f := startMaster(t, newFakeUpstream(t), withMux())
	silent, err := net.Dial("unix", f.m.cfg.MuxSocket)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	c := dialMux(t, f)
	c.write(&mux.AliveCheck{RequestID: 0})
	c.read()
	huge := []byte{0x7f, 0xff, 0xff, 0xff}
	if _, err := c.conn.Write(huge); err != nil {
		t.Fatal(err)
	}
	c.eof()
}

// runMux runs cmd through the mux door, feeding it stdin, and returns
// its output and exit status.
func runMux(t *testing.T, f *masterFixture, cmd, stdin string) (string, uint32) {
	t.Helper()
	c := dialMux(t, f)
	p, reply := c.newSession(&mux.NewSession{Command: cmd})
	if _, ok := reply.(*mux.SessionOpened); !ok {
		t.Fatalf("%s: reply %v %+v; want SESSION_OPENED", cmd, reply.Type(), reply)
	}
	io.WriteString(p.stdinW, stdin)
	p.stdinW.Close()
	exit, ok := c.read().(*mux.ExitMessage)
	if !ok {
		t.Fatalf("%s: no exit message", cmd)
	}
	c.eof()
	out, _ := io.ReadAll(p.stdoutR)
	return string(out), exit.ExitValue
}

// TestMuxDoorAfterHeal: a session through the mux door after the
// upstream connection died runs on the healed one, as on the
// ProxyCommand door: the spare it may be handed is dead, and the session
// resumes on a fresh login.
func TestMuxDoorAfterHeal(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv, withMux())
	if out, st := runMux(t, f, "before", ""); out != "before\n" || st != 0 {
		t.Fatalf("before: %q %d", out, st)
	}
	srv.conn(t, 0).kill()
	if out, st := runMux(t, f, "after", ""); out != "after\n" || st != 0 {
		t.Fatalf("after the upstream died: %q %d; want \"after\\n\" 0", out, st)
	}
	if got := srv.logins.Load(); got != 2 {
		t.Errorf("upstream logins: %d; want 2", got)
	}
}

// TestMuxDoorPastMaxSessions: more sessions at once than the server's
// MaxSessions all run: the pool logs in once more, and no client sees an
// error.
func TestMuxDoorPastMaxSessions(t *testing.T) {
	srv := newFakeUpstream(t)
	srv.maxSessions.Store(2)
	f := startMaster(t, srv, withMux())
	const n = 5
	type result struct {
		out    string
		status uint32
	}
	results := make(chan result, n)
	var inputs []*os.File
	for range n {
		c := dialMux(t, f)
		p, reply := c.newSession(&mux.NewSession{Command: "cat"})
		if _, ok := reply.(*mux.SessionOpened); !ok {
			t.Fatalf("session refused: %+v", reply)
		}
		inputs = append(inputs, p.stdinW)
		go func() {
			c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			msg, _ := mux.Read(c.conn) // not c.read: no t.Fatal off the test's goroutine
			out, _ := io.ReadAll(p.stdoutR)
			exit, ok := msg.(*mux.ExitMessage)
			if !ok {
				exit = &mux.ExitMessage{ExitValue: 255}
			}
			results <- result{string(out), exit.ExitValue}
		}()
	}
	for _, w := range inputs {
		io.WriteString(w, "line\n")
		w.Close()
	}
	for range n {
		r := <-results
		if r.out != "line\n" || r.status != 0 {
			t.Errorf("session: %q exit %d; want \"line\\n\" 0", r.out, r.status)
		}
	}
	if got := srv.logins.Load(); got < 2 {
		t.Errorf("upstream logins: %d; want more than one for %d sessions against MaxSessions 2", got, n)
	}
}

// TestMuxDoorAgent: a mux session that forwards its agent gets the agent
// its ssh would forward (here its SSH_AUTH_SOCK): the server's agent
// channels on that upstream connection reach that socket while the
// session runs, and nobody once it has ended.
func TestMuxDoorAgent(t *testing.T) {
	dir, err := os.MkdirTemp("", "a")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "agent")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	keyring := agent.NewKeyring()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	keyring.Add(agent.AddedKey{PrivateKey: priv})
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				agent.ServeAgent(keyring, conn)
				conn.Close()
			}()
		}
	}()
	srv := newFakeUpstream(t)
	f := startMaster(t, srv, withMux(), func(c *MasterConfig, h *upstream.HostConfig) {
		h.IdentityAgent = "" // SSH_AUTH_SOCK: the master's is unset, the client's is sock
		c.MuxClientView = func(int) MuxClient {
			return MuxClient{Getenv: func(name string) (string, bool, error) {
				if name == "SSH_AUTH_SOCK" {
					return sock, true, nil
				}
				return "", false, nil
			}}
		}
	})
	c := dialMux(t, f)
	p, reply := c.newSession(&mux.NewSession{Command: "cat", WantAgent: true})
	if _, ok := reply.(*mux.SessionOpened); !ok {
		t.Fatalf("reply %v %+v; want SESSION_OPENED", reply.Type(), reply)
	}
	up := srv.conn(t, 0)
	ch, err := up.open("auth-agent@openssh.com", nil)
	if err != nil {
		t.Fatalf("agent channel: %v; want it delivered to the client's agent", err)
	}
	if keys, err := agent.NewClient(ch).List(); err != nil || len(keys) != 1 {
		t.Errorf("list the client's agent through the channel: %v, %v; want its 1 key", keys, err)
	}
	ch.Close()
	p.stdinW.Close()
	c.read() // the exit message
	c.eof()
	if _, err := up.open("auth-agent@openssh.com", nil); err == nil {
		t.Error("agent channel after the session ended: accepted; want it refused")
	}
}
