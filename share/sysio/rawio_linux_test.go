package sysio

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/sshtest"
	"golang.org/x/sys/unix"
)

// raw returns RawIO(conn), failing unless it is raw.
func raw(t *testing.T, conn net.Conn) net.Conn {
	t.Helper()
	rc := RawIO(conn)
	if _, ok := rc.(*rawConn); !ok {
		t.Fatalf("RawIO(%T) = %T, want *rawConn", conn, rc)
	}
	return rc
}

func TestRawConnMovesMoreThanTheKernelBuffers(t *testing.T) {
	a, b := sshtest.TCPPair(t)
	w, r := raw(t, a), raw(t, b)
	want := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB: the writer must wait
	go func() {
		if n, err := w.Write(want); n != len(want) || err != nil {
			t.Errorf("Write = %d, %v; want %d, nil", n, err, len(want))
		}
		w.Close()
	}()
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, %v; want the %d written, then EOF", len(got), err, len(want))
	}
}

func TestRawConnHonoursDeadlineAndClose(t *testing.T) {
	a, _ := sshtest.TCPPair(t)
	c := raw(t, a)
	c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := c.Read(make([]byte, 10)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past the deadline: %v, want a deadline error", err)
	}
	c.SetReadDeadline(time.Time{})
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 10))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	c.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Read on a closed connection succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a waiting Read")
	}
}

func TestRawConnOnHandedOverPipes(t *testing.T) {
	in, sshIn, out, sshOut := sshtest.PipePair(t)
	c := raw(t, &stdioConn{r: adopted(t, dupFd(t, in), unix.O_RDONLY), w: adopted(t, dupFd(t, out), unix.O_WRONLY)})
	defer c.Close()
	sshIn.Write([]byte("hello"))
	buf := make([]byte, 16)
	if n, err := c.Read(buf); string(buf[:n]) != "hello" || err != nil {
		t.Fatalf("Read = %q, %v; want hello", buf[:n], err)
	}
	if _, err := c.Write([]byte("got hello")); err != nil {
		t.Fatal(err)
	}
	if n, err := sshOut.Read(buf); string(buf[:n]) != "got hello" {
		t.Fatalf("ssh read %q, %v; want got hello", buf[:n], err)
	}
	sshIn.Close()
	if n, err := c.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("Read after ssh closed = %d, %v; want 0, EOF", n, err)
	}
}

// dupFd returns a descriptor of f's own, as a hand-over delivers.
func dupFd(t *testing.T, f *os.File) int {
	t.Helper()
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	return fd
}

func TestRawIOLeavesBlockingDescriptors(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	r.Fd() // puts the pipe in blocking mode
	w.Fd()
	conn := &stdioConn{r: r, w: w}
	if got := RawIO(conn); got != net.Conn(conn) {
		t.Fatalf("RawIO of blocking pipes = %T, want them unchanged", got)
	}
	in, _, out, _ := sshtest.PipePair(t)
	shared := &stdioConn{r: in, w: out, shared: true}
	if got := RawIO(shared); got != net.Conn(shared) {
		t.Fatalf("RawIO of pipes whose description is shared = %T, want them unchanged", got)
	}
	a, _ := net.Pipe()
	if got := RawIO(a); got != a {
		t.Fatalf("RawIO of an in-memory pipe = %T, want it unchanged", got)
	}
}

// adopted is fd as the master holds a handed-over pipe (see adopt).
func adopted(t *testing.T, fd, mode int) *os.File {
	t.Helper()
	end, err := adopt(fd, "pipe", mode)
	if err != nil {
		t.Fatal(err)
	}
	return end.file
}
