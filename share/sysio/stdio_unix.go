//go:build unix

package sysio

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// CanPassFds: Unix sockets carry fds here.
const CanPassFds = true

// SendStdio hands in and out to the master over conn, then points this
// process's own descriptors for them at /dev/null, so that the master
// holds the only copies besides ssh's: when the master goes, ssh sees the
// end of its connection.
func SendStdio(conn net.Conn, in, out *os.File) error {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return errors.New("hand over stdio: not a Unix socket")
	}
	rights := unix.UnixRights(int(in.Fd()), int(out.Fd()))
	if _, _, err := uc.WriteMsgUnix([]byte{handOverByte}, rights, nil); err != nil {
		return fmt.Errorf("hand over stdio: %w", err)
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("hand over stdio: %w", err)
	}
	defer null.Close()
	for _, f := range []*os.File{in, out} {
		if err := unix.Dup2(int(null.Fd()), int(f.Fd())); err != nil {
			return fmt.Errorf("hand over stdio: release fd %d: %w", f.Fd(), err)
		}
	}
	return nil
}

// RecvStdio receives the pipes an invocation hands over on conn.
func RecvStdio(conn net.Conn) (net.Conn, error) {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return nil, errors.New("receive stdio: not a Unix socket")
	}
	uc.SetReadDeadline(time.Now().Add(handOverWait))
	defer uc.SetReadDeadline(time.Time{})
	buf := make([]byte, 1)
	oob := make([]byte, unix.CmsgSpace(2*4))
	n, oobn, _, _, err := uc.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, fmt.Errorf("receive stdio: %w", err)
	}
	fds, err := parseRights(oob[:oobn])
	if err != nil {
		return nil, err
	}
	if n != 1 || buf[0] != handOverByte || len(fds) != 2 {
		closeFds(fds)
		return nil, fmt.Errorf("receive stdio: got %d bytes and %d fds; want %q and 2 fds", n, len(fds), handOverByte)
	}
	r, err := adopt(fds[0], "ssh stdin", unix.O_RDONLY)
	if err != nil {
		unix.Close(fds[1])
		return nil, err
	}
	w, err := adopt(fds[1], "ssh stdout", unix.O_WRONLY)
	if err != nil {
		r.file.Close()
		return nil, err
	}
	return &stdioConn{r: r.file, w: w.file, rSocket: r.socket, wSocket: w.socket, shared: r.shared || w.shared}, nil
}

// handedEnd is one of ssh's pipes, or a socket, as the master holds it.
type handedEnd struct {
	file   *os.File
	socket bool // see stdioConn.rSocket
	shared bool // see stdioConn.shared
}

// adopt takes fd, handed over by an invocation, for the master: only a
// pipe (FIFO) or a socket is accepted, never a file or a device. The
// sender keeps its own copy of fd, and with it the open file description
// and its O_NONBLOCK flag, which it can clear at any time. A pipe is
// therefore opened again through /proc/self/fd, non-blocking, in mode
// (O_RDONLY or O_WRONLY): the new description is the master's alone, and
// the sender's copy no longer reaches it. A socket cannot be opened so; it
// keeps the shared description, and raw calls on it pass MSG_DONTWAIT
// instead. Where a pipe cannot be reopened (no /proc), it stays shared and
// the master uses no raw calls on it, so a read the sender made blocking
// blocks one thread, never the master. fd is closed or owned by the
// returned file in every case.
func adopt(fd int, name string, mode int) (handedEnd, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return handedEnd{}, fmt.Errorf("receive stdio: %s: %w", name, err)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFSOCK:
		unix.SetNonblock(fd, true) // for Go's poller: it serves non-blocking descriptors only
		return handedEnd{file: os.NewFile(uintptr(fd), name), socket: true}, nil
	case unix.S_IFIFO:
		own, err := reopen(fd, mode)
		if err != nil {
			unix.SetNonblock(fd, true)
			widenPipe(fd)
			return handedEnd{file: os.NewFile(uintptr(fd), name), shared: true}, nil
		}
		unix.Close(fd)
		widenPipe(own)
		return handedEnd{file: os.NewFile(uintptr(own), name)}, nil
	}
	unix.Close(fd)
	return handedEnd{}, fmt.Errorf("receive stdio: %s is not a pipe or a socket (file type %#o)", name, st.Mode&unix.S_IFMT)
}

// parseRights returns the fds in a control message.
func parseRights(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("receive stdio: %w", err)
	}
	var fds []int
	for _, m := range msgs {
		got, err := unix.ParseUnixRights(&m)
		if err != nil {
			closeFds(fds)
			return nil, fmt.Errorf("receive stdio: %w", err)
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

func closeFds(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// InheritedFile is the descriptor fd this process was started with (a
// pipe or a lent stderr) as a file that no program it runs inherits: a
// long-lived child holding it would keep its other end waiting.
func InheritedFile(fd int, name string) *os.File {
	unix.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), name)
}

// InheritedPipe is InheritedFile for a pipe of this process's own, made
// non-blocking so that reads take deadlines. Not for a descriptor shared
// with another process's terminal (a lent stderr): the flag would be
// theirs too.
func InheritedPipe(fd int, name string) *os.File {
	unix.CloseOnExec(fd)
	unix.SetNonblock(fd, true)
	return os.NewFile(uintptr(fd), name)
}

// HandedFD is the descriptor an environment variable's value v names,
// which must be fd (see invoke.SpawnMaster); fd 0 takes any descriptor
// from 3 up.
func HandedFD(v string, fd int) (int, bool) {
	if fd != 0 {
		return fd, v == strconv.Itoa(fd)
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= 3
}
