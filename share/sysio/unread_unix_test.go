//go:build linux || darwin

package sysio

import (
	"fmt"
	"net"
	"os"
	"testing"

	"github.com/sshshare/sshshare/share/sshtest"
)

// waitUnread waits until unread reports want (loopback delivery is not
// instant).
func waitUnread(t *testing.T, unread func() int, want int) {
	t.Helper()
	sshtest.WaitFor(t, fmt.Sprintf("%d bytes unread", want), func() bool { return unread() == want })
}

// Unread counts what waits in a socket, and Buffered what ReadBuffered
// has taken from it and not yet returned.
func TestUnreadSocket(t *testing.T) {
	a, b := sshtest.TCPPair(t)
	unread := Unread(b)
	if unread == nil {
		t.Fatal("Unread of a TCP connection is nil")
	}
	waitUnread(t, unread, 0)
	a.Write(make([]byte, 5000))
	waitUnread(t, unread, 5000)
	c := ReadBuffered(b, 64<<10)
	if n, err := c.Read(make([]byte, 100)); n != 100 || err != nil {
		t.Fatalf("read %d, %v; want 100", n, err)
	}
	if got, held := unread(), Buffered(c); got != 0 || held != 4900 {
		t.Fatalf("after a buffered read: %d unread in the socket, %d in the buffer; want 0 and 4900", got, held)
	}
	if got := Buffered(b); got != 0 {
		t.Fatalf("Buffered of an unbuffered connection = %d; want 0", got)
	}
}

// Unread asks the read end of a ProxyCommand's pipes, and is nil for a
// connection with no descriptor.
func TestUnreadPipeAndNone(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	unread := Unread(&stdioConn{r: r, w: w})
	if unread == nil {
		t.Fatal("Unread of a pipe is nil")
	}
	w.Write(make([]byte, 777))
	waitUnread(t, unread, 777)
	if Unread(&stdioConn{r: r, w: w, shared: true}) != nil {
		t.Error("Unread of a shared pipe is not nil: no call is made on it")
	}
	p, q := net.Pipe()
	defer p.Close()
	defer q.Close()
	if Unread(p) != nil {
		t.Error("Unread of an in-memory connection is not nil")
	}
}
