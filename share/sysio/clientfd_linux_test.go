package sysio

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/sshtest"

	"golang.org/x/sys/unix"
)

// blocking reports whether f's open file description is blocking. It
// reads the flags without os.File.Fd, which would make it blocking.
func blocking(t *testing.T, f *os.File) bool {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var fl int
	rc.Control(func(fd uintptr) { fl, err = unix.FcntlInt(fd, unix.F_GETFL, 0) })
	if err != nil {
		t.Fatal(err)
	}
	return fl&unix.O_NONBLOCK == 0
}

// clientCopy sets f's description blocking, as a client's usually is,
// and returns a copy of its descriptor, as a mux client's would arrive.
func clientCopy(t *testing.T, f *os.File) int {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	fd := -1
	rc.Control(func(raw uintptr) {
		unix.SetNonblock(int(raw), false)
		fd, err = unix.Dup(int(raw))
	})
	if err != nil {
		t.Fatal(err)
	}
	return fd
}

// TestAdoptClientFdKinds: a pipe and a terminal become descriptions of
// the master's own (the client's stays blocking), a socket is shared and
// gets its flags back at Close, a file and /dev/null are used as they
// are, and a directory is refused.
func TestAdoptClientFdKinds(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	ptm, tty := sshtest.OpenPTY(t)
	defer ptm.Close()
	defer tty.Close()
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	sock := os.NewFile(uintptr(pair[0]), "sock")
	defer sock.Close()
	defer unix.Close(pair[1])
	file, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()

	for _, tc := range []struct {
		name     string
		f        *os.File
		write    bool
		own      bool
		terminal bool
	}{
		{"pipe", r, false, true, false},
		{"terminal", tty, false, true, true},
		{"socket", sock, true, false, false},
		{"file", file, true, false, false},
	} {
		cf, err := AdoptClientFd(clientCopy(t, tc.f), tc.name, tc.write)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if cf.Terminal != tc.terminal || cf.own != tc.own {
			t.Errorf("%s: terminal %v, own %v; want %v, %v", tc.name, cf.Terminal, cf.own, tc.terminal, tc.own)
		}
		if !blocking(t, tc.f) && tc.own {
			t.Errorf("%s: the client's description turned non-blocking; want it untouched", tc.name)
		}
		if blocking(t, tc.f) && tc.name == "socket" {
			t.Errorf("%s: the shared description is blocking while adopted; want it non-blocking", tc.name)
		}
		cf.Close()
		if !blocking(t, tc.f) {
			t.Errorf("%s: non-blocking after Close; want the client's flags back", tc.name)
		}
	}

	dir, err := os.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	if _, err := AdoptClientFd(clientCopy(t, dir), "dir", false); err == nil {
		t.Error("a directory was adopted; want it refused")
	}
}

// TestClientFileCloseEndsRead: closing a terminal the master is reading
// ends the read at once, so no key typed afterwards is taken.
func TestClientFileCloseEndsRead(t *testing.T) {
	ptm, tty := sshtest.OpenPTY(t)
	defer ptm.Close()
	defer tty.Close()
	cf, err := AdoptClientFd(clientCopy(t, tty), "tty", false)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := cf.Raw().Read(make([]byte, 1))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cf.Close()
	select {
	case err := <-done:
		if err == nil || errors.Is(err, io.EOF) {
			t.Errorf("read after Close: %v; want it ended by the close", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the read went on after Close")
	}
	if _, err := ptm.Write([]byte("k\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	tty.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := tty.Read(buf); err != nil || string(buf[:n]) != "k\n" {
		t.Errorf("the next line on the terminal: %q, %v; want it left for the shell", buf[:n], err)
	}
}

// TestRecvFdsOneByteEach: descriptors sent as OpenSSH does, one per
// one-byte message, arrive in order; a message without one fails.
func TestRecvFdsOneByteEach(t *testing.T) {
	a, b := unixPair(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for _, f := range []*os.File{r, w} {
		if _, _, err := a.WriteMsgUnix([]byte{0}, unix.UnixRights(int(f.Fd())), nil); err != nil {
			t.Fatal(err)
		}
	}
	fds, err := RecvFds(b, 2)
	if err != nil || len(fds) != 2 {
		t.Fatalf("RecvFds: %v, %v", fds, err)
	}
	for _, fd := range fds {
		if fd < 3 {
			t.Errorf("descriptor %d; want above 2", fd)
		}
	}
	CloseFds(fds)
	a.Write([]byte{0})
	if _, err := RecvFds(b, 1); err == nil {
		t.Error("a message without a descriptor was taken; want an error")
	}
}

// unixPair is a connected pair of Unix stream sockets.
func unixPair(t *testing.T) (*net.UnixConn, *net.UnixConn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	conn := func(fd int) *net.UnixConn {
		f := os.NewFile(uintptr(fd), "pair")
		defer f.Close()
		c, err := net.FileConn(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c.(*net.UnixConn)
	}
	return conn(fds[0]), conn(fds[1])
}
