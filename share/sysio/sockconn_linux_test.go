package sysio

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// rawPair is a ListenRaw listener, a client connected to it, and the
// connection it accepted; cleanups close all three.
func rawPair(t *testing.T) (net.Listener, net.Conn, net.Conn) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s")
	ln, err := ListenRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	client, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return ln, client, conn
}

// TestListenRawServesAMuxClient: a connection accepted by a ListenRaw
// listener tells its peer's credentials, carries bytes both ways and
// descriptors one per byte, honours a read deadline, and a Close of the
// listener ends a pending Accept with net.ErrClosed.
func TestListenRawServesAMuxClient(t *testing.T) {
	ln, client, conn := rawPair(t)
	if err := CheckPeer(conn); err != nil {
		t.Errorf("CheckPeer of our own client: %v", err)
	}
	if pid, err := PeerPID(conn); err != nil || pid != os.Getpid() {
		t.Errorf("PeerPID = %d, %v; want %d", pid, err, os.Getpid())
	}

	if _, err := conn.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(client, buf); err != nil || string(buf) != "hello" {
		t.Errorf("client read %q, %v", buf, err)
	}
	client.Write([]byte("back"))
	if _, err := io.ReadFull(conn, buf[:4]); err != nil || string(buf[:4]) != "back" {
		t.Errorf("master read %q, %v", buf[:4], err)
	}

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	uc := client.(*net.UnixConn)
	for _, f := range []*os.File{r, w} {
		if _, _, err := uc.WriteMsgUnix([]byte{0}, unix.UnixRights(int(f.Fd())), nil); err != nil {
			t.Fatal(err)
		}
	}
	fc, err := UnixConn(conn)
	if err != nil {
		t.Fatal(err)
	}
	fds, err := RecvFds(fc, 2)
	if err != nil || len(fds) != 2 {
		t.Fatalf("RecvFds: %v, %v", fds, err)
	}
	CloseFds(fds)

	conn.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := conn.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read past the deadline: %v; want os.ErrDeadlineExceeded", err)
	}
	conn.SetReadDeadline(time.Time{})
	client.Close()
	if n, err := conn.Read(buf); n != 0 || err != io.EOF {
		t.Errorf("read after the client left: %d, %v; want 0, io.EOF", n, err)
	}

	accepted := make(chan error, 1)
	go func() {
		_, err := ln.Accept()
		accepted <- err
	}()
	time.Sleep(20 * time.Millisecond)
	ln.Close()
	select {
	case err := <-accepted:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept after Close: %v; want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept still waiting 5 s after Close")
	}
}

// TestSockConnClosedReadsAsNetClosed: a read on a closed SockConn fails
// as one on a closed net.Conn does.
func TestSockConnClosedReadsAsNetClosed(t *testing.T) {
	_, _, conn := rawPair(t)
	conn.Close()
	if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("read after Close: %v; want net.ErrClosed", err)
	}
}

// TestReadProcFile: the raw reads of /proc give what os.ReadFile and
// os.Readlink give, past their first buffer, and a missing file is
// fs.ErrNotExist.
func TestReadProcFile(t *testing.T) {
	for _, name := range []string{"/proc/self/cmdline", "/proc/self/environ", "/proc/self/maps"} {
		want, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := readProcFile(name)
		if err != nil {
			t.Errorf("readProcFile(%s): %v", name, err)
			continue
		}
		// maps may change between the reads; its start does not.
		if n := min(len(want), 64); len(got) < n || string(got[:n]) != string(want[:n]) {
			t.Errorf("readProcFile(%s) starts %q; want %q", name, got[:min(len(got), 64)], want[:n])
		}
		if name != "/proc/self/maps" && string(got) != string(want) {
			t.Errorf("readProcFile(%s) = %d bytes; want the %d os.ReadFile read", name, len(got), len(want))
		}
	}
	if _, err := readProcFile("/proc/self/no-such-file"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v; want fs.ErrNotExist", err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := readProcLink("/proc/self/cwd"); err != nil || got != wd {
		t.Errorf("readProcLink(cwd) = %q, %v; want %q", got, err, wd)
	}
}

// TestAdoptDevNullIsRaw: /dev/null, handed over as stdin, is read with
// raw calls (it never waits) and reads as EOF.
func TestAdoptDevNullIsRaw(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Dup(int(f.Fd()))
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	cf, err := AdoptClientFd(fd, "stdin", false)
	if err != nil {
		t.Fatal(err)
	}
	defer cf.Close()
	raw := cf.Raw()
	if _, ok := raw.(*rawFile); !ok {
		t.Fatalf("Raw() of /dev/null is %T; want raw calls", raw)
	}
	if n, err := raw.Read(make([]byte, 8)); n != 0 || err != io.EOF {
		t.Errorf("read of /dev/null: %d, %v; want 0, io.EOF", n, err)
	}
}
