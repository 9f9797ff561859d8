package integration

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// muxForwardHost is the alias whose Host block has the mux door.
const muxForwardHost = "muxfwd"

// muxForwardEnv is a client whose ssh reaches one sshd through a share
// master's mux door.
type muxForwardEnv struct {
	sshd *harness.SSHD
	c    *harness.Client
	bin  string
}

// newMuxForwardEnv starts sshd and a client with the mux door, and starts
// the master with a first ssh (through the ProxyCommand).
func newMuxForwardEnv(t *testing.T) *muxForwardEnv {
	t.Helper()
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	c := harness.NewClient(t, sshd)
	c.Env = append(c.Env, "GORACE=atexit_sleep_ms=0") // see newShareEnv
	e := &muxForwardEnv{sshd: sshd, c: c, bin: harness.Binary(t)}
	c.AddMuxHost(muxForwardHost, e.bin)
	if res := harness.Run(t, sshTimeout, c.SSH(muxForwardHost, "true")); res.Code != 0 {
		t.Fatalf("ssh %s true: %s", muxForwardHost, res)
	}
	return e
}

// control runs ssh -O op with a forward spec; it fails the test unless
// ssh exits 0 and prints no error, and returns its stdout.
func (e *muxForwardEnv) control(t *testing.T, op, flag, spec string) string {
	t.Helper()
	res := harness.Run(t, sshTimeout, e.c.SSH("-O", op, flag, spec, muxForwardHost))
	if res.Code != 0 || len(res.Stderr) != 0 {
		t.Fatalf("ssh -O %s %s %s: %s", op, flag, spec, res)
	}
	return string(res.Stdout)
}

// master is the one master's status.
func (e *muxForwardEnv) master(t *testing.T) harness.MasterStatus {
	t.Helper()
	ms := e.c.Masters(e.bin)
	if len(ms) != 1 {
		t.Fatalf("sshshare status: %d masters %+v; want 1", len(ms), ms)
	}
	return ms[0]
}

// muxSessions is the number of sessions the mux door has served.
func (e *muxForwardEnv) muxSessions(t *testing.T) int {
	t.Helper()
	ms := e.c.MuxMasters(e.bin)
	if len(ms) != 1 || ms[0].MuxSocket == "" {
		t.Fatalf("sshshare status: %+v; want one master with a mux socket", ms)
	}
	return ms[0].MuxSessions
}

// waitRefused waits until nothing listens on 127.0.0.1:port.
func waitRefused(t *testing.T, port int, what string) {
	t.Helper()
	gone := shareWaitFor(shareForwardWait, func() bool {
		c, err := net.DialTimeout("tcp", shareLocal(port), time.Second)
		if err == nil {
			c.Close()
		}
		return errors.Is(err, syscall.ECONNREFUSED)
	})
	if !gone {
		t.Errorf("port %d still listening %v after %s; want it closed", port, shareForwardWait, what)
	}
}

// TestMuxForwards: ssh -O forward -L, -R 0 (the port printed on stdout)
// and -D through the mux door each carry bytes to an echo server and are
// counted by status, ssh -O cancel removes each, a -L given with a
// command and a -R with -N work while ssh runs and are gone after, and
// failures are ssh's lines; all on one login.
func TestMuxForwards(t *testing.T) {
	e := newMuxForwardEnv(t)
	echo := harness.EchoServer(t)

	t.Run("-O forward -L", func(t *testing.T) {
		port := shareFreePort(t)
		spec := strconv.Itoa(port) + ":" + echo
		e.control(t, "forward", "-L", spec)
		conn := shareDialWhenUp(t, port)
		shareEchoThrough(t, conn)
		conn.Close()
		if got := e.master(t).Forwards; got != 1 {
			t.Errorf("master forwards = %d with -L open; want 1", got)
		}
		e.control(t, "cancel", "-L", spec)
		waitRefused(t, port, "ssh -O cancel -L")
	})
	t.Run("-O forward -R 0", func(t *testing.T) {
		spec := "0:" + echo
		out := e.control(t, "forward", "-R", spec)
		port, err := strconv.Atoi(strings.TrimSpace(out))
		if err != nil || port <= 0 {
			t.Fatalf("ssh -O forward -R %s printed %q; want the allocated port", spec, out)
		}
		conn := shareDialWhenUp(t, port) // sshd listens on its localhost, which is ours
		shareEchoThrough(t, conn)
		conn.Close()
		if got := e.master(t).Forwards; got != 1 {
			t.Errorf("master forwards = %d with -R open; want 1", got)
		}
		e.control(t, "cancel", "-R", spec)
		waitRefused(t, port, "ssh -O cancel -R")
	})
	t.Run("-O forward -D", func(t *testing.T) {
		port := shareFreePort(t)
		e.control(t, "forward", "-D", strconv.Itoa(port))
		conn := shareDialWhenUp(t, port)
		shareSOCKS5Connect(t, conn, echo)
		shareEchoThrough(t, conn)
		conn.Close()
		e.control(t, "cancel", "-D", strconv.Itoa(port))
		waitRefused(t, port, "ssh -O cancel -D")
	})
	t.Run("-L with a command", func(t *testing.T) {
		before := e.muxSessions(t)
		port := shareFreePort(t)
		cmd := e.c.SSH("-o", "ExitOnForwardFailure=yes", "-L", strconv.Itoa(port)+":"+echo, muxForwardHost, "cat")
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		ssh := harness.Start(t, cmd)
		conn := shareDialWhenUp(t, port)
		shareEchoThrough(t, conn)
		conn.Close()
		if got := e.muxSessions(t); got != before+1 {
			t.Errorf("mux sessions = %d with ssh -L running; want %d (through the mux door)", got, before+1)
		}
		stdin.Close()
		if code := ssh.Wait(t, sshTimeout); code != 0 {
			t.Fatalf("ssh -L ... cat: exit %d after stdin closed; want 0\nstderr:\n%s", code, ssh.Stderr())
		}
		waitRefused(t, port, "the session ended")
	})
	t.Run("-N -R", func(t *testing.T) {
		before := e.muxSessions(t)
		port := shareFreePort(t)
		ssh := harness.Start(t, e.c.SSH("-N", "-o", "ExitOnForwardFailure=yes", "-R", strconv.Itoa(port)+":"+echo, muxForwardHost))
		conn := shareDialWhenUp(t, port)
		shareEchoThrough(t, conn)
		conn.Close()
		if got := e.muxSessions(t); got != before+1 {
			t.Errorf("mux sessions = %d with ssh -N running; want %d (through the mux door)", got, before+1)
		}
		ssh.Kill()
		waitRefused(t, port, "ssh -N was killed")
	})
	t.Run("failures", func(t *testing.T) {
		taken, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer taken.Close()
		spec := taken.Addr().String() + ":" + echo // the loopback's other address may be free
		res := harness.Run(t, sshTimeout, e.c.SSH("-O", "forward", "-L", spec, muxForwardHost))
		if res.Code != 255 || !strings.Contains(string(res.Stderr), "address already in use") {
			t.Errorf("ssh -O forward -L on a taken port: %s; want exit 255 and the bind error", res)
		}
		res = harness.Run(t, sshTimeout, e.c.SSH("-O", "cancel", "-L", spec, muxForwardHost))
		if res.Code != 0 || !strings.Contains(string(res.Stderr), "no such forward") {
			t.Errorf("ssh -O cancel of a forward not open: %s; want exit 0 and the reason", res)
		}
	})
	if got := e.master(t).Forwards; got != 0 {
		t.Errorf("master forwards = %d after every cancel; want 0", got)
	}
	if got := e.sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d; want 1", got)
	}
}
