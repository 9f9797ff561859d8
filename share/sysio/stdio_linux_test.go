package sysio

import (
	"errors"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/sshtest"
	"golang.org/x/sys/unix"
)

// handOver sends r and w to RecvStdio as an invocation does, keeping the
// test's own copies (the sender's), and returns what the master made of
// them, as RawIO serves it.
func handOver(t *testing.T, r, w int) (net.Conn, error) {
	t.Helper()
	a, b := sshtest.UnixPair(t)
	if _, _, err := a.(*net.UnixConn).WriteMsgUnix([]byte{handOverByte}, unix.UnixRights(r, w), nil); err != nil {
		t.Fatal(err)
	}
	sc, err := RecvStdio(b)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { sc.Close() })
	return RawIO(sc), nil
}

// fdOf is f's descriptor, left in the mode it is in (File.Fd would make
// it blocking).
func fdOf(t *testing.T, f *os.File) int {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	fd := -1
	rc.Control(func(u uintptr) { fd = int(u) })
	return fd
}

// outliveStuckCalls lets a test outlive a raw call stuck in the kernel,
// which holds its processor and cannot be stopped: the test's watchdog
// runs on another processor, and no garbage collection (whose
// stop-the-world would wait for the stuck call for ever) starts meanwhile.
func outliveStuckCalls(t *testing.T) {
	if n := runtime.GOMAXPROCS(0); n < 2 {
		runtime.GOMAXPROCS(2)
		t.Cleanup(func() { runtime.GOMAXPROCS(n) })
	}
	gc := debug.SetGCPercent(-1)
	t.Cleanup(func() { debug.SetGCPercent(gc) })
}

// mustTimeOut runs op, which should fail with a deadline error within a
// second; if it is stuck (in the kernel, on a descriptor made blocking),
// unstick frees it after 3 s and the test fails.
func mustTimeOut(t *testing.T, what string, op func() error, unstick func()) {
	t.Helper()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- op() }()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("%s: got %v; want a deadline error", what, err)
		}
	case <-time.After(3 * time.Second):
		unstick()
		<-done
		t.Errorf("%s: stuck for %v past its 100 ms deadline; the sender's blocking mode reached the master", what, time.Since(start).Round(time.Millisecond))
	}
}

// TestHandedOverPipesCannotBeMadeBlocking: an invocation that clears
// O_NONBLOCK on the pipes it handed over (the attack of issue 17 item 7)
// does not make the master's raw reads and writes block: the master has
// descriptions of its own.
func TestHandedOverPipesCannotBeMadeBlocking(t *testing.T) {
	outliveStuckCalls(t)
	in, sshIn, out, sshOut := sshtest.PipePair(t)
	c, err := handOver(t, fdOf(t, in), fdOf(t, out))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(*rawConn); !ok {
		t.Fatalf("RawIO of handed-over pipes = %T, want *rawConn", c)
	}
	unix.SetNonblock(fdOf(t, in), false)
	unix.SetNonblock(fdOf(t, out), false)
	rc := c.(*rawConn)
	if !nonBlocking(rc.r) || !nonBlocking(rc.w) {
		t.Errorf("the master's ends: non-blocking read %v, write %v; want both still non-blocking after the sender cleared O_NONBLOCK on its copies",
			nonBlocking(rc.r), nonBlocking(rc.w))
	}
	mustTimeOut(t, "read of an empty pipe", func() error {
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		_, err := c.Read(make([]byte, 10))
		return err
	}, func() { sshIn.Write([]byte("x")) })
	mustTimeOut(t, "write to a full pipe", func() error {
		c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		_, err := c.Write(make([]byte, 4<<20))
		return err
	}, func() { go drain(sshOut) })
}

// TestHandedOverSocketCannotBeMadeBlocking: the same for a socket, which
// the master cannot open again: MSG_DONTWAIT keeps its raw calls from
// blocking.
func TestHandedOverSocketCannotBeMadeBlocking(t *testing.T) {
	outliveStuckCalls(t)
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	ours, ssh := os.NewFile(uintptr(fds[0]), "ours"), os.NewFile(uintptr(fds[1]), "ssh")
	t.Cleanup(func() { ours.Close(); ssh.Close() })
	c, err := handOver(t, fds[0], fds[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(*rawConn); !ok {
		t.Fatalf("RawIO of a handed-over socket = %T, want *rawConn", c)
	}
	unix.SetNonblock(fds[0], false)
	mustTimeOut(t, "read of an empty socket", func() error {
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		_, err := c.Read(make([]byte, 10))
		return err
	}, func() { ssh.Write([]byte("x")) })
	mustTimeOut(t, "write to a full socket", func() error {
		c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		_, err := c.Write(make([]byte, 16<<20))
		return err
	}, func() { go drain(ssh) })
}

// drain reads f until it fails.
func drain(f *os.File) {
	buf := make([]byte, 1<<20)
	for {
		if _, err := f.Read(buf); err != nil {
			return
		}
	}
}

// TestRecvStdioRefusesOtherFiles: only pipes and sockets are taken; a
// regular file or a device handed over is refused and closed.
func TestRecvStdioRefusesOtherFiles(t *testing.T) {
	file, err := os.CreateTemp(t.TempDir(), "f")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	_, pipeW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pipeW.Close()
	pipeR, _, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pipeR.Close()
	for _, tt := range []struct {
		name string
		r, w *os.File
	}{
		{"regular file", file, file},
		{"device", null, null},
		{"pipe and file", pipeR, file},
		{"file and pipe", file, pipeW},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if c, err := handOver(t, fdOf(t, tt.r), fdOf(t, tt.w)); err == nil {
				c.Close()
				t.Fatal("RecvStdio accepted it")
			}
		})
	}
}
