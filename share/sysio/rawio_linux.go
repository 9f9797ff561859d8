package sysio

import (
	"io"
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Raw I/O. Go's system calls tell the scheduler they may block: one that
// runs past sysmon's tick (20 µs) has its processor handed to another
// thread, and sysmon keeps ticking every 20 µs while that goes on. A
// master has one processor and relays bulk data in 32 KiB packets, and a
// 256 KiB write to loopback TCP runs the receiver's stack too, so bulk
// transfers kept handing off and sysmon woke up to 50 000 times a second:
// in a `cat` upload's profile sysmon was 11% of the master and context
// switches 13%. Raw calls cut the master's CPU by about a sixth
// (docs/performance.md).
//
// The master's descriptors are non-blocking, so a read or write never
// sleeps in the kernel. rawConn makes them as raw system calls, which the
// scheduler sees as ordinary computation, and waits for readiness on Go's
// poller as before, so deadlines and Close work as they did. A raw call
// that did block would stall the master's only processor, and with it
// every session: so raw calls are made only on descriptors whose
// O_NONBLOCK nobody else can clear (sockets the master accepted or
// dialled, pipes it opened again), and on handed-over sockets with
// MSG_DONTWAIT, which holds whatever their flags say (see adopt).

// RawIO returns conn reading and writing its descriptors with raw system
// calls, when conn is a socket or a handed-over ssh's pipes and they are
// non-blocking; otherwise conn itself.
func RawIO(conn net.Conn) net.Conn {
	r, w, ok := rawConns(conn)
	if !ok || !nonBlocking(r) || !nonBlocking(w) {
		return conn
	}
	rc := &rawConn{Conn: conn, r: r, w: w, read: sysRead, write: sysWrite}
	if c, ok := conn.(*stdioConn); ok {
		if c.rSocket {
			rc.read = sysRecv
		}
		if c.wSocket {
			rc.write = sysSend
		}
	}
	return rc
}

// nonBlocking reports whether rc's descriptor is in non-blocking mode: a
// raw call on a blocking one could stall the master's only processor.
func nonBlocking(rc syscall.RawConn) bool {
	flags := 0
	err := rc.Control(func(fd uintptr) {
		flags, _ = fcntlFd(int(fd), unix.F_GETFL, 0)
	})
	return err == nil && flags&unix.O_NONBLOCK != 0
}

// rawConn is a connection whose reads and writes are raw system calls.
type rawConn struct {
	net.Conn
	r, w        syscall.RawConn
	read, write rawCall
}

// rawCall is one raw system call moving bytes between p and fd.
type rawCall func(fd uintptr, p []byte) (uintptr, syscall.Errno)

func sysRead(fd uintptr, p []byte) (uintptr, syscall.Errno) {
	n, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	return n, e
}

func sysWrite(fd uintptr, p []byte) (uintptr, syscall.Errno) {
	n, _, e := unix.RawSyscall(unix.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	return n, e
}

// sysRecv and sysSend never block, whatever the socket's flags.
func sysRecv(fd uintptr, p []byte) (uintptr, syscall.Errno) {
	n, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), unix.MSG_DONTWAIT, 0, 0)
	return n, e
}

func sysSend(fd uintptr, p []byte) (uintptr, syscall.Errno) {
	n, _, e := unix.RawSyscall6(unix.SYS_SENDTO, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL, 0, 0)
	return n, e
}

func (c *rawConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, err := rawTransfer(c.r.Read, c.read, p, false)
	if n == 0 && err == nil {
		err = io.EOF
	}
	return n, err
}

func (c *rawConn) Write(p []byte) (int, error) {
	n, err := rawTransfer(c.w.Write, c.write, p, true)
	if n < len(p) && err == nil {
		err = io.ErrShortWrite
	}
	return n, err
}

// rawTransfer makes the system call (a read or a write) on p from inside
// wait's callback, which waits on the poller while the descriptor is not
// ready. With all it goes on until p is done; otherwise one call that
// moves bytes, or finds the end of the stream, is enough.
func rawTransfer(wait func(func(fd uintptr) bool) error, call rawCall, p []byte, all bool) (int, error) {
	n := 0
	var errno syscall.Errno
	err := wait(func(fd uintptr) bool {
		for n < len(p) {
			r, e := call(fd, p[n:])
			switch e {
			case 0:
				n += int(r)
				if !all || r == 0 {
					return true
				}
			case unix.EINTR:
			case unix.EAGAIN:
				return false
			default:
				errno = e
				return true
			}
		}
		return true
	})
	if err == nil && errno != 0 {
		err = errno
	}
	return n, err
}

// Raw returns f reading and writing with raw system calls, as RawIO does
// for connections, when that is safe: its descriptor is non-blocking and
// the master's own (a reopened pipe or terminal), a socket (then with
// MSG_DONTWAIT), or a device that never waits (/dev/null); otherwise f
// itself. Close still ends a read or write
// waiting on it.
func (f *ClientFile) Raw() io.ReadWriter {
	if !f.own && !f.socket && !f.instant {
		return f
	}
	rc, err := f.File.SyscallConn()
	if err != nil || !f.instant && !nonBlocking(rc) { // an instant device may be in blocking mode: its calls never wait
		return f
	}
	r := &rawFile{rc: rc, read: sysRead, write: sysWrite}
	if f.socket {
		r.read, r.write = sysRecv, sysSend
	}
	return r
}

// rawFile is a client's descriptor read and written with raw calls.
type rawFile struct {
	rc          syscall.RawConn
	read, write rawCall
}

func (r *rawFile) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, err := rawTransfer(r.rc.Read, r.read, p, false)
	if n == 0 && err == nil {
		err = io.EOF
	}
	return n, err
}

func (r *rawFile) Write(p []byte) (int, error) {
	n, err := rawTransfer(r.rc.Write, r.write, p, true)
	if n < len(p) && err == nil {
		err = io.ErrShortWrite
	}
	return n, err
}
