package integration

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// shareForwardWait bounds the wait for a forward to start carrying bytes
// or to go away.
const shareForwardWait = 15 * time.Second

// TestShareForwards: -L, -R (fixed port and port 0), -D and -W through
// sshshare each carry bytes to a TCP echo server, all on one login; a -R
// listener goes away upstream when its client exits.
func TestShareForwards(t *testing.T) {
	e := newShareEnv(t, harness.SSHDOptions{})
	echo := harness.EchoServer(t)
	e.mustSSH(t, "true")
	t.Run("-L", func(t *testing.T) {
		port := shareFreePort(t)
		e.startForward(t, "-N", "-L", strconv.Itoa(port)+":"+echo)
		shareEchoThrough(t, shareDialWhenUp(t, port))
	})
	e.remoteForwards(t, echo)
	t.Run("-D", func(t *testing.T) {
		port := shareFreePort(t)
		e.startForward(t, "-N", "-D", strconv.Itoa(port))
		conn := shareDialWhenUp(t, port)
		shareSOCKS5Connect(t, conn, echo)
		shareEchoThrough(t, conn)
	})
	t.Run("-W", func(t *testing.T) {
		e.checkStdioForward(t, echo)
	})
	if got := e.sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d after every kind of forward; want 1", got)
	}
}

// startForward starts `ssh args... shareHost` that fails if a forward
// cannot be set up; a cleanup ends it.
func (e *shareEnv) startForward(t *testing.T, args ...string) *harness.Proc {
	t.Helper()
	args = append([]string{"-o", "ExitOnForwardFailure=yes"}, args...)
	return harness.Start(t, e.c.SSH(append(args, shareHost)...))
}

// startRemoteForward starts an ssh with -R spec that runs a remote
// command ending when its stdin closes, so that the ssh exits normally.
func (e *shareEnv) startRemoteForward(t *testing.T, spec string) (*harness.Proc, io.WriteCloser) {
	t.Helper()
	cmd := e.c.SSH("-o", "ExitOnForwardFailure=yes", "-R", spec, shareHost, "cat")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	return harness.Start(t, cmd), stdin
}

// remoteForwards runs the -R subtests, a fixed port and port 0, each to
// the echo server at echo.
func (e *shareEnv) remoteForwards(t *testing.T, echo string) {
	t.Run("-R", func(t *testing.T) {
		port := shareFreePort(t)
		ssh, stdin := e.startRemoteForward(t, strconv.Itoa(port)+":"+echo)
		e.checkRemoteForward(t, ssh, stdin, port)
	})
	t.Run("-R 0", func(t *testing.T) {
		ssh, stdin := e.startRemoteForward(t, "0:"+echo)
		port := shareAllocatedPort(t, ssh)
		e.checkRemoteForward(t, ssh, stdin, port)
	})
}

// checkRemoteForward checks that the remote port reaches the echo server
// while ssh runs, and that nothing listens there once ssh has exited.
func (e *shareEnv) checkRemoteForward(t *testing.T, ssh *harness.Proc, stdin io.Closer, port int) {
	t.Helper()
	conn := shareDialWhenUp(t, port)
	shareEchoThrough(t, conn)
	if got := e.master(t).Forwards; got != 1 {
		t.Errorf("master forwards = %d while ssh -R runs; want 1", got)
	}
	conn.Close() // ssh waits for its forwarded connections to close
	stdin.Close()
	if code := ssh.Wait(t, sshTimeout); code != 0 {
		t.Errorf("ssh -R: exit %d after its stdin closed; want 0\nstderr:\n%s", code, ssh.Stderr())
	}
	gone := shareWaitFor(shareForwardWait, func() bool {
		c, err := net.DialTimeout("tcp", shareLocal(port), time.Second)
		if err == nil {
			c.Close()
		}
		return errors.Is(err, syscall.ECONNREFUSED)
	})
	if !gone {
		t.Errorf("remote port %d still listening %v after ssh -R exited; want it cancelled", port, shareForwardWait)
	}
	if got := e.master(t).Forwards; got != 0 {
		t.Errorf("master forwards = %d after ssh -R exited; want 0", got)
	}
}

// checkStdioForward checks ssh -W: stdio carries bytes to the echo server,
// and closing stdin ends ssh cleanly.
func (e *shareEnv) checkStdioForward(t *testing.T, echo string) {
	t.Helper()
	ssh, stdin, stdout := harness.StartPiped(t, e.c.SSH("-W", echo, shareHost))
	lines := readLines(stdout)
	for _, line := range []string{"through -W\n", "and again\n"} {
		send(t, stdin, line)
		if got := nextLine(lines, sshTimeout); got != line {
			t.Fatalf("ssh -W echoed %q; want %q\nstderr:\n%s", got, line, ssh.Stderr())
		}
	}
	stdin.Close()
	if code := ssh.Wait(t, sshTimeout); code != 0 {
		t.Errorf("ssh -W: exit %d after stdin closed; want 0\nstderr:\n%s", code, ssh.Stderr())
	}
}

// allocatedPortRE matches ssh's report of a -R 0 listener.
var allocatedPortRE = regexp.MustCompile(`Allocated port (\d+) for remote forward`)

// shareAllocatedPort waits for ssh to report the port of its -R 0
// listener on stderr.
func shareAllocatedPort(t *testing.T, ssh *harness.Proc) int {
	t.Helper()
	var port int
	ok := shareWaitFor(shareForwardWait, func() bool {
		if m := allocatedPortRE.FindStringSubmatch(ssh.Stderr()); m != nil {
			port, _ = strconv.Atoi(m[1])
			return true
		}
		return ssh.Exited()
	})
	if !ok || port == 0 {
		t.Fatalf("ssh -R 0: no \"Allocated port N\" on stderr after %v\nstderr:\n%s", shareForwardWait, ssh.Stderr())
	}
	return port
}

// shareEchoServer starts a TCP echo server on 127.0.0.1 and returns its

// shareFreePort returns a port on 127.0.0.1 that was free a moment ago.
func shareFreePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// shareLocal returns "127.0.0.1:port".
func shareLocal(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// shareDialWhenUp dials 127.0.0.1:port until something listens there; a
// cleanup closes the connection.
func shareDialWhenUp(t *testing.T, port int) net.Conn {
	t.Helper()
	var conn net.Conn
	up := shareWaitFor(shareForwardWait, func() bool {
		c, err := net.DialTimeout("tcp", shareLocal(port), time.Second)
		conn = c
		return err == nil
	})
	if !up {
		t.Fatalf("nothing listening on %s after %v", shareLocal(port), shareForwardWait)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// shareEchoThrough sends bytes on conn and checks they come back.
func shareEchoThrough(t *testing.T, conn net.Conn) {
	t.Helper()
	msg := bytes.Repeat([]byte("sshshare forward "), 4096) // 68 KiB: several packets
	conn.SetDeadline(time.Now().Add(sshTimeout))
	defer conn.SetDeadline(time.Time{})
	go conn.Write(msg)
	got := make([]byte, len(msg))
	if n, err := io.ReadFull(conn, got); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("echo through the forward: read %d of %d bytes (%v), equal %t; want them all back",
			n, len(msg), err, bytes.Equal(got, msg))
	}
}

// shareSOCKS5Connect asks the SOCKS5 proxy at the other end of conn (ssh
// -D) to connect to target, an IPv4 "host:port", without authentication.
func shareSOCKS5Connect(t *testing.T, conn net.Conn, target string) {
	t.Helper()
	addr, err := net.ResolveTCPAddr("tcp4", target)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(sshTimeout))
	defer conn.SetDeadline(time.Time{})
	req := append([]byte{5, 1, 0, 5, 1, 0, 1}, addr.IP.To4()...) // greeting, then CONNECT IPv4
	req = binary.BigEndian.AppendUint16(req, uint16(addr.Port))
	if _, err := conn.Write(req); err != nil {
		t.Fatalf("socks5 request: %v", err)
	}
	reply := make([]byte, 2+10) // method choice; reply with an IPv4 bound address
	if _, err := io.ReadFull(conn, reply); err != nil {
		t.Fatalf("socks5 reply: %v (got % x)", err, reply)
	}
	if reply[0] != 5 || reply[1] != 0 || reply[2] != 5 || reply[3] != 0 {
		t.Fatalf("socks5 reply % x; want method 0 accepted and CONNECT succeeded (05 00 05 00 ...)", reply)
	}
}
