package sysio

import (
	"net"
	"os"
	"sync"
	"syscall"
)

// A mux client (stock ssh with a ControlPath, see share/muxdoor.go) hands
// the master its own stdin, stdout and stderr: the user's terminal, the
// pipes of a pipeline, a file the shell redirected, the socketpair scp and
// sftp talk over. The master reads and writes them directly, as OpenSSH's
// ControlMaster does, and must leave them as it found them: another
// process (the user's shell, the rest of a pipeline) shares each one.

// FdConn is a Unix socket connection that descriptors can be passed
// over: a *net.UnixConn, or on Linux a *SockConn from ListenRaw.
type FdConn interface {
	net.Conn
	syscall.Conn
}

// ClientFile is a descriptor a mux client handed over, as the master
// uses it. Close puts back the file status flags the master changed on a
// description it shares with the client, then closes the descriptor.
type ClientFile struct {
	*os.File
	// Terminal is set when the descriptor is a terminal: the session's
	// modes and window size come from it.
	Terminal bool
	restore  func()
	once     sync.Once
	// own is set when the descriptor is non-blocking on an open file
	// description nobody else holds, socket for a socket (shared, set
	// non-blocking), and instant for a device whose reads and writes
	// never wait (/dev/null): raw system calls are then safe (see Raw).
	own, socket, instant bool
}

// Close restores what the master changed and closes the file.
func (f *ClientFile) Close() error {
	var err error
	f.once.Do(func() {
		if f.restore != nil {
			f.restore()
		}
		err = f.File.Close()
	})
	return err
}

// Control runs fn on the descriptor, as syscall.RawConn.Control does. Use
// it rather than Fd, which would put the descriptor in blocking mode, and
// a read could then not be abandoned at Close.
func (f *ClientFile) Control(fn func(fd uintptr)) error {
	rc, err := f.File.SyscallConn()
	if err != nil {
		return err
	}
	return rc.Control(fn)
}
