//go:build unix

package sysio

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// fdByteWait bounds the wait for each descriptor after the request that
// announced it.
const fdByteWait = 5 * time.Second

// RecvFds receives n descriptors that follow a request on conn, one per
// one-byte message, as OpenSSH's mm_send_fd sends them. It reads only
// those n bytes: a plain read past them would drop a descriptor. A
// message carrying no descriptor, or more than one, fails the whole
// receipt, and every descriptor received is closed.
func RecvFds(conn FdConn, n int) ([]int, error) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("receive descriptors: %w", err)
	}
	conn.SetReadDeadline(time.Now().Add(fdByteWait))
	defer conn.SetReadDeadline(time.Time{})
	var fds []int
	for i := range n {
		got, err := recvOneFd(rc)
		if err != nil {
			closeFds(fds)
			return nil, fmt.Errorf("receive descriptor %d of %d: %w", i+1, n, err)
		}
		fds = append(fds, got)
	}
	return fds, nil
}

// recvOneFd receives one one-byte message and the single descriptor it
// carries, waiting on Go's poller (and within the read deadline) until it
// has come.
func recvOneFd(rc syscall.RawConn) (int, error) {
	buf := make([]byte, 1)
	oob := make([]byte, unix.CmsgSpace(4*4)) // room for extras, which are closed
	var n, oobn, flags int
	err := rawOnce(rc.Read, "recvmsg", func(fd uintptr) (errno syscall.Errno) {
		n, oobn, flags, errno = recvmsgFd(fd, buf, oob)
		return errno
	})
	if err != nil {
		return -1, err
	}
	if n == 0 && oobn == 0 {
		return -1, io.EOF
	}
	fds, err := parseRights(oob[:oobn])
	if err != nil {
		return -1, err
	}
	if n != 1 || len(fds) != 1 || flags&unix.MSG_CTRUNC != 0 {
		closeFds(fds)
		return -1, fmt.Errorf("got %d bytes and %d descriptors; want 1 and 1", n, len(fds))
	}
	return aboveStdio(fds[0])
}

// aboveStdio moves fd above 2 if it landed on the master's own stdin,
// stdout or stderr (closed by someone): Go treats a write error on 1 or 2
// as fatal (SIGPIPE), and the master's log is on 2.
func aboveStdio(fd int) (int, error) {
	if fd > 2 {
		return fd, nil
	}
	moved, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3)
	unix.Close(fd)
	if err != nil {
		return -1, fmt.Errorf("move descriptor %d: %w", fd, err)
	}
	return moved, nil
}

// AdoptClientFd takes fd, handed over by a mux client as its stdin (write
// false) or its stdout or stderr (write true), for the master's use. The
// master needs it non-blocking, so that a read can be abandoned when the
// session ends (a read left pending on the user's terminal would eat the
// next key typed at their shell):
//   - a pipe or a terminal is opened again through /proc/self/fd,
//     non-blocking (a terminal without becoming the master's controlling
//     terminal): a description of the master's own, whose flags nobody
//     else sees;
//   - a socket (scp's and sftp's socketpair), or a pipe or terminal where
//     there is no /proc, is set non-blocking on the shared description,
//     and Close puts its flags back, as OpenSSH's master does;
//   - a regular file or another device (/dev/null) is used as it is: its
//     reads and writes do not wait, and a file's offset must stay shared
//     with the shell that redirected it.
//
// A directory, or anything else, is refused. fd is closed or owned by the
// returned file in every case.
func AdoptClientFd(fd int, name string, write bool) (*ClientFile, error) {
	var st unix.Stat_t
	if err := fstatFd(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	mode := unix.O_RDONLY
	if write {
		mode = unix.O_WRONLY
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFIFO:
		return ownOrShared(fd, name, mode, false)
	case unix.S_IFCHR:
		if terminalFd(fd) {
			return ownOrShared(fd, name, mode|unix.O_NOCTTY, true)
		}
		return &ClientFile{File: os.NewFile(uintptr(fd), name), instant: instantDevice(&st)}, nil
	case unix.S_IFSOCK:
		f := shared(fd, name, false)
		f.socket = true
		return f, nil
	case unix.S_IFREG, unix.S_IFBLK:
		return &ClientFile{File: os.NewFile(uintptr(fd), name)}, nil
	}
	unix.Close(fd)
	return nil, fmt.Errorf("%s is not a terminal, pipe, socket or file (file type %#o)", name, st.Mode&unix.S_IFMT)
}

// ownOrShared opens fd again as a description of the master's own, or,
// where that fails, shares fd's (see AdoptClientFd).
func ownOrShared(fd int, name string, mode int, terminal bool) (*ClientFile, error) {
	own, err := reopen(fd, mode)
	if err != nil {
		return shared(fd, name, terminal), nil
	}
	unix.Close(fd)
	return &ClientFile{File: os.NewFile(uintptr(own), name), Terminal: terminal, own: true}, nil
}

// shared sets fd non-blocking and makes its Close put the flags back.
func shared(fd int, name string, terminal bool) *ClientFile {
	flags, err := fcntlFd(fd, unix.F_GETFL, 0)
	f := &ClientFile{Terminal: terminal}
	if err == nil && flags&unix.O_NONBLOCK == 0 {
		fcntlFd(fd, unix.F_SETFL, flags|unix.O_NONBLOCK)
		f.restore = func() { unix.SetNonblock(fd, false) }
	}
	f.File = os.NewFile(uintptr(fd), name)
	return f
}

// CloseFds closes raw descriptors that were received and not adopted.
func CloseFds(fds []int) { closeFds(fds) }

// errNotUnix is returned for a connection that cannot carry descriptors.
var errNotUnix = errors.New("not a Unix socket")

// UnixConn returns conn as an FdConn, if it is a Unix socket: the only
// kind that carries descriptors.
func UnixConn(conn net.Conn) (FdConn, error) {
	return unixConn(conn)
}
