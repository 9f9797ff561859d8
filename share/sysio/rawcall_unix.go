//go:build unix

package sysio

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// rawOnce makes one system call on a descriptor from inside wait's
// callback (a syscall.RawConn's Read or Write): again when a signal
// interrupted it, and after waiting on Go's poller when it would block.
// op names the call in its error. (rawTransfer does the same for calls
// that move bytes until a buffer is done.)
func rawOnce(wait func(func(fd uintptr) bool) error, op string, call func(fd uintptr) syscall.Errno) error {
	var errno syscall.Errno
	err := wait(func(fd uintptr) bool {
		for {
			errno = call(fd)
			if errno != unix.EINTR {
				return errno != unix.EAGAIN
			}
		}
	})
	if err == nil && errno != 0 {
		err = os.NewSyscallError(op, errno)
	}
	return err
}
