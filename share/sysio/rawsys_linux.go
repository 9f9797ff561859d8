package sysio

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Raw system calls for the mux door's connect path. Go's system calls
// tell the scheduler they may block, and the first one after the master
// has been idle wakes sysmon from its deep sleep; sysmon then ticks every
// 20 µs until the processor is idle again. On a warm connect through the
// mux door that happened three or four times (the accept, the peer's
// credentials, the hello, the view's /proc reads, the descriptors), and
// each time the woken thread took a core from the client or sshd: the
// connect cost about 0.1-0.3 ms more than ControlMaster's
// (docs/performance.md). The calls below do not block, or block only for
// as long as the kernel takes to answer (/proc, fstat, ioctl), so they
// are made raw: the scheduler sees them as computation.

// atFDCWD is AT_FDCWD (-100) as a system call argument: a constant that
// negative cannot be converted to uintptr, a variable can.
var atFDCWD = func() uintptr { fd := unix.AT_FDCWD; return uintptr(fd) }()

// rawOpen opens path with raw openat, close-on-exec.
func rawOpen(path string, flags int) (int, error) {
	p, err := unix.BytePtrFromString(path)
	if err != nil {
		return -1, err
	}
	for {
		fd, _, e := unix.RawSyscall6(unix.SYS_OPENAT, atFDCWD, uintptr(unsafe.Pointer(p)),
			uintptr(flags|unix.O_CLOEXEC), 0, 0, 0)
		switch e {
		case 0:
			return int(fd), nil
		case unix.EINTR:
		default:
			return -1, &os.PathError{Op: "open", Path: path, Err: e}
		}
	}
}

// rawClose closes fd with a raw close.
func rawClose(fd int) {
	unix.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0)
}

// procFileMax bounds what readProcFile reads: a command line or an
// environment is at most a few megabytes on Linux.
const procFileMax = 16 << 20

// readProcFile reads a file of /proc with raw calls. Such a read takes
// what the kernel needs to copy from the process's memory, and never
// waits on a device.
func readProcFile(path string) ([]byte, error) {
	fd, err := rawOpen(path, unix.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer rawClose(fd)
	b := make([]byte, 0, 512)
	for len(b) < procFileMax {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		free := b[len(b):cap(b)]
		n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&free[0])), uintptr(len(free)))
		switch {
		case e == unix.EINTR:
		case e != 0:
			return nil, &os.PathError{Op: "read", Path: path, Err: e}
		case n == 0:
			return b, nil
		default:
			b = b[:len(b)+int(n)]
		}
	}
	return nil, fmt.Errorf("read %s: longer than %d bytes", path, procFileMax)
}

// readProcLink reads a symbolic link of /proc with a raw readlinkat. Such
// a link (a process's cwd) is at most PATH_MAX long.
func readProcLink(path string) (string, error) {
	p, err := unix.BytePtrFromString(path)
	if err != nil {
		return "", err
	}
	buf := make([]byte, unix.PathMax+1)
	n, _, e := unix.RawSyscall6(unix.SYS_READLINKAT, atFDCWD, uintptr(unsafe.Pointer(p)),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
	switch {
	case e != 0:
		return "", &os.PathError{Op: "readlink", Path: path, Err: e}
	case int(n) == len(buf):
		return "", &os.PathError{Op: "readlink", Path: path, Err: unix.ENAMETOOLONG}
	}
	return string(buf[:n]), nil
}

// fstatFd is fstat(2) made raw.
func fstatFd(fd int, st *unix.Stat_t) error {
	_, _, e := unix.RawSyscall(unix.SYS_FSTAT, uintptr(fd), uintptr(unsafe.Pointer(st)), 0)
	return errnoErr(e)
}

// fcntlFd is fcntl(2) with an integer argument, made raw.
func fcntlFd(fd, cmd, arg int) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_FCNTL, uintptr(fd), uintptr(cmd), uintptr(arg))
	return int(r), errnoErr(e)
}

// rawPeerCred reads a Unix socket's SO_PEERCRED with a raw getsockopt.
func rawPeerCred(fd int) (*unix.Ucred, error) {
	var cred unix.Ucred
	size := uint32(unsafe.Sizeof(cred))
	_, _, e := unix.RawSyscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_PEERCRED,
		uintptr(unsafe.Pointer(&cred)), uintptr(unsafe.Pointer(&size)), 0)
	if e != 0 {
		return nil, e
	}
	return &cred, nil
}

// terminalFd reports whether fd is a terminal (TIOCGWINSZ answers), with
// a raw ioctl.
func terminalFd(fd int) bool {
	var ws unix.Winsize
	_, _, e := unix.RawSyscall(unix.SYS_IOCTL, uintptr(fd), unix.TIOCGWINSZ, uintptr(unsafe.Pointer(&ws)))
	return e == 0
}

// recvmsgFd receives into buf and oob with a raw recvmsg that does not
// wait (MSG_DONTWAIT), the descriptors close-on-exec.
func recvmsgFd(fd uintptr, buf, oob []byte) (n, oobn, flags int, errno syscall.Errno) {
	iov := unix.Iovec{Base: &buf[0]}
	iov.SetLen(len(buf))
	msg := unix.Msghdr{Iov: &iov, Iovlen: 1, Control: &oob[0]}
	msg.SetControllen(len(oob))
	r, _, e := unix.RawSyscall(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&msg)), unix.MSG_DONTWAIT|unix.MSG_CMSG_CLOEXEC)
	if e != 0 {
		return 0, 0, 0, e
	}
	return int(r), int(msg.Controllen), int(msg.Flags), 0
}

// instantDevice reports whether st is a device whose reads and writes
// never wait: /dev/null, zero, full, random and urandom (Linux's memory
// devices, major 1).
func instantDevice(st *unix.Stat_t) bool {
	if unix.Major(st.Rdev) != 1 {
		return false
	}
	switch unix.Minor(st.Rdev) {
	case 3, 5, 7, 8, 9:
		return true
	}
	return false
}

// errnoErr returns e as an error, nil for 0.
func errnoErr(e syscall.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

// Yield gives this thread's processor to another thread waiting for it,
// if there is one (a raw sched_yield).
func Yield() { unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0) }
