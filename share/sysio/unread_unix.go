//go:build linux || darwin

package sysio

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// Unread returns a function that reports how many bytes have arrived on
// conn's descriptor and not yet been read (FIONREAD), or nil when conn
// has no descriptor of its own to ask (a channel through another master).
// For a ProxyCommand's pipes it asks the read end.
func Unread(conn net.Conn) func() int {
	var rc syscall.RawConn
	var err error
	switch c := conn.(type) {
	case *stdioConn:
		if c.shared {
			return nil
		}
		rc, err = c.r.SyscallConn()
	case syscall.Conn:
		rc, err = c.SyscallConn()
	default:
		return nil
	}
	if err != nil {
		return nil
	}
	return func() int {
		n := 0
		rc.Control(func(fd uintptr) { n, _ = unix.IoctlGetInt(int(fd), fionread) })
		return n
	}
}
