//go:build unix && !linux

package sysio

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// The system calls rawsys_linux.go makes raw, made as Go makes them.

// fstatFd is fstat(2).
func fstatFd(fd int, st *unix.Stat_t) error { return unix.Fstat(fd, st) }

// fcntlFd is fcntl(2) with an integer argument.
func fcntlFd(fd, cmd, arg int) (int, error) { return unix.FcntlInt(uintptr(fd), cmd, arg) }

// terminalFd reports whether fd is a terminal.
func terminalFd(fd int) bool {
	_, err := unix.IoctlGetWinsize(fd, unix.TIOCGWINSZ)
	return err == nil
}

// recvmsgFd receives into buf and oob without waiting.
func recvmsgFd(fd uintptr, buf, oob []byte) (n, oobn, flags int, errno syscall.Errno) {
	n, oobn, flags, _, err := unix.Recvmsg(int(fd), buf, oob, unix.MSG_DONTWAIT)
	if err != nil {
		e, ok := err.(syscall.Errno)
		if !ok {
			e = unix.EIO
		}
		return 0, 0, 0, e
	}
	return n, oobn, flags, 0
}

// instantDevice is false: raw reads and writes are Linux's only.
func instantDevice(*unix.Stat_t) bool { return false }

// unixConn returns conn as an FdConn if it is a Unix socket.
func unixConn(conn net.Conn) (FdConn, error) {
	if c, ok := conn.(*net.UnixConn); ok {
		return c, nil
	}
	return nil, errNotUnix
}
