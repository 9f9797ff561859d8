package sysio

import (
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ListenRaw listens on a Unix socket at path, as Listen does, for the mux
// door: its Accept, and the reads, writes and descriptor passing of the
// connections it returns, are raw system calls that wait for readiness on
// Go's poller (see rawsys_linux.go and rawio_linux.go). Its connections
// are *SockConn.
func ListenRaw(path string) (net.Listener, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, os.NewSyscallError("socket", err))
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("listen on %s: %w", path, os.NewSyscallError("bind", err))
	}
	if err := unix.Listen(fd, unix.SOMAXCONN); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("listen on %s: %w", path, os.NewSyscallError("listen", err))
	}
	f := os.NewFile(uintptr(fd), path) // non-blocking: Go's poller waits on it
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	return &rawListener{f: f, rc: rc, addr: &net.UnixAddr{Name: path, Net: "unix"}}, nil
}

// rawListener is a listening Unix socket accepted from with raw accept4.
// Closing it does not remove the socket file.
type rawListener struct {
	f      *os.File
	rc     syscall.RawConn
	addr   *net.UnixAddr
	closed atomic.Bool
}

// Accept waits for the next connection. After Close it returns an error
// that is net.ErrClosed.
func (l *rawListener) Accept() (net.Conn, error) {
	nfd := -1
	err := rawOnce(l.rc.Read, "accept4", func(fd uintptr) syscall.Errno {
		r, _, e := unix.RawSyscall6(unix.SYS_ACCEPT4, fd, 0, 0, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
		nfd = int(r)
		return e
	})
	switch {
	case err != nil && l.closed.Load():
		return nil, net.ErrClosed
	case err != nil:
		return nil, &net.OpError{Op: "accept", Net: "unix", Addr: l.addr, Err: err}
	}
	return newSockConn(nfd, l.addr), nil
}

// Close stops listening; a pending Accept returns net.ErrClosed.
func (l *rawListener) Close() error {
	if l.closed.Swap(true) {
		return net.ErrClosed
	}
	return l.f.Close()
}

// Addr is the socket's path.
func (l *rawListener) Addr() net.Addr { return l.addr }

// SockConn is a connection accepted by a ListenRaw listener: a Unix
// socket read and written with raw system calls (MSG_DONTWAIT, and
// MSG_NOSIGNAL on writes) once Go's poller finds it ready. Deadlines and
// Close work as on a net.UnixConn.
type SockConn struct {
	f      *os.File
	rc     syscall.RawConn
	laddr  net.Addr
	closed atomic.Bool
}

// newSockConn takes fd, a non-blocking connected socket.
func newSockConn(fd int, laddr net.Addr) *SockConn {
	f := os.NewFile(uintptr(fd), "unix")
	rc, _ := f.SyscallConn() // fails only for a nil file
	return &SockConn{f: f, rc: rc, laddr: laddr}
}

// Read reads what has arrived, waiting for something if nothing has.
func (c *SockConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, err := rawTransfer(c.rc.Read, sysRecv, p, false)
	if n == 0 && err == nil {
		err = io.EOF
	}
	return n, c.netErr("read", err)
}

// Write writes all of p.
func (c *SockConn) Write(p []byte) (int, error) {
	n, err := rawTransfer(c.rc.Write, sysSend, p, true)
	if n < len(p) && err == nil {
		err = io.ErrShortWrite
	}
	return n, c.netErr("write", err)
}

// netErr makes the error of a call on the closed file that of a call on
// a closed connection.
func (c *SockConn) netErr(op string, err error) error {
	if err != nil && c.closed.Load() {
		return &net.OpError{Op: op, Net: "unix", Addr: c.laddr, Err: net.ErrClosed}
	}
	return err
}

// Close closes the connection; a pending Read or Write returns
// net.ErrClosed.
func (c *SockConn) Close() error {
	if c.closed.Swap(true) {
		return net.ErrClosed
	}
	return c.f.Close()
}

// LocalAddr is the listener's path.
func (c *SockConn) LocalAddr() net.Addr { return c.laddr }

// RemoteAddr is the client's address: unnamed, as ssh's are.
func (c *SockConn) RemoteAddr() net.Addr { return &net.UnixAddr{Net: "unix"} }

// SetDeadline sets the read and write deadlines.
func (c *SockConn) SetDeadline(t time.Time) error { return c.f.SetDeadline(t) }

// SetReadDeadline sets the read deadline.
func (c *SockConn) SetReadDeadline(t time.Time) error { return c.f.SetReadDeadline(t) }

// SetWriteDeadline sets the write deadline.
func (c *SockConn) SetWriteDeadline(t time.Time) error { return c.f.SetWriteDeadline(t) }

// SyscallConn gives the socket's descriptor, as net.UnixConn's does.
func (c *SockConn) SyscallConn() (syscall.RawConn, error) { return c.rc, nil }

// unixConn returns conn as an FdConn if it is a Unix socket.
func unixConn(conn net.Conn) (FdConn, error) {
	switch c := conn.(type) {
	case *net.UnixConn:
		return c, nil
	case *SockConn:
		return c, nil
	}
	return nil, errNotUnix
}
