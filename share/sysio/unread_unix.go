//go:build linux || darwin

package sysio

import (
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Unread returns a function that reports how many bytes have arrived on
// conn's descriptor and not yet been read (FIONREAD), or nil when conn
// has no descriptor of its own to ask (a channel through another master)
// or the descriptor does not answer. For a ProxyCommand's pipes it asks
// the read end. The call is raw (see RawIO): FIONREAD never blocks.
func Unread(conn net.Conn) func() int {
	rc, _, ok := rawConns(conn)
	if !ok {
		return nil
	}
	unread := func() (int, error) {
		var n int32
		var errno syscall.Errno
		err := rc.Control(func(fd uintptr) {
			_, _, errno = unix.RawSyscall(unix.SYS_IOCTL, fd, fionread, uintptr(unsafe.Pointer(&n)))
		})
		if err == nil && errno != 0 {
			err = errno
		}
		return int(n), err
	}
	if _, err := unread(); err != nil {
		return nil
	}
	return func() int {
		n, _ := unread()
		return n
	}
}
