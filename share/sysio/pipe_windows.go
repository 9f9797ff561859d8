package sysio

import (
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"regexp"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// On Windows the master listens on a named pipe, not a Unix socket: Wine
// has no AF_UNIX, and Windows' own gives no peer credentials a client can
// trust. The pipe namespace is one per machine and anyone may create a
// name in it, so:
//   - the name is derived from the user's SID and the socket path, plus
//     eight random bytes, and recorded in the marker file at the socket
//     path (see Listen), in a directory only the user can write: a
//     client finds the pipe through that file, never by guessing;
//   - the first instance is created with FILE_FLAG_FIRST_PIPE_INSTANCE
//     and must be the pipe's only one (Wine ignores the flag), so a name
//     someone else created first makes the master fail;
//   - the pipe's DACL admits the owner's SID, SYSTEM and Administrators
//     only, and PIPE_REJECT_REMOTE_CLIENTS keeps other machines out;
//   - every connection is checked by the SID of the process at the other
//     end, both ways (CheckPeer, checkMaster), which holds even where the
//     DACL is not enforced (Wine).
//
// Handles are overlapped, so that a connection reads and writes at once
// and honours deadlines (the runtime poller takes them, see os.NewFile).

// pipePrefix begins the name of every sshshare pipe.
const pipePrefix = `\\.\pipe\sshshare-`

// pipeNamePattern is what a marker may name: an sshshare pipe on this
// machine, never a path that would reach a file share.
var pipeNamePattern = regexp.MustCompile(`^\\\\\.\\pipe\\sshshare-[0-9a-f]{32}-[0-9a-f]{16}$`)

// pipeBuffer is the size of each direction's buffer in the pipe.
const pipeBuffer = 64 << 10

// pipeName is a new pipe name for a master on socket: a hash of the user's
// SID and the socket path (which master it is, when debugging) and a
// random part (a retired master keeps its pipe while a new one starts on
// the same path, and nobody can create the name before the master does).
func pipeName(sid *windows.SID, socket string) (string, error) {
	sum := sha256.Sum256([]byte(sid.String() + "\x00" + socket))
	var nonce [8]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return "", fmt.Errorf("pipe name: %w", err)
	}
	return pipePrefix + hex.EncodeToString(sum[:16]) + "-" + hex.EncodeToString(nonce[:]), nil
}

// pipeSDDL admits the owner, SYSTEM and Administrators, full access, and
// nobody else; P keeps inherited entries out.
func pipeSDDL(owner *windows.SID) string {
	return "D:P(A;;GA;;;" + owner.String() + ")(A;;GA;;;SY)(A;;GA;;;BA)"
}

// ErrPipeTaken is returned when the name of a master's pipe exists already:
// someone created it first.
var ErrPipeTaken = errors.New("the pipe name is taken by another process")

// createPipe creates one instance of the pipe name, the first one when
// first is set.
func createPipe(name string, sa *windows.SecurityAttributes, first bool) (windows.Handle, error) {
	n, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return windows.InvalidHandle, err
	}
	flags := uint32(windows.PIPE_ACCESS_DUPLEX | windows.FILE_FLAG_OVERLAPPED)
	if first {
		flags |= windows.FILE_FLAG_FIRST_PIPE_INSTANCE
	}
	mode := uint32(windows.PIPE_TYPE_BYTE | windows.PIPE_READMODE_BYTE | windows.PIPE_WAIT | windows.PIPE_REJECT_REMOTE_CLIENTS)
	h, err := windows.CreateNamedPipe(n, flags, mode, windows.PIPE_UNLIMITED_INSTANCES, pipeBuffer, pipeBuffer, 0, sa)
	if first && (errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_PIPE_BUSY)) {
		return windows.InvalidHandle, fmt.Errorf("create pipe %s: %w", name, ErrPipeTaken)
	}
	if err != nil {
		return windows.InvalidHandle, fmt.Errorf("create pipe %s: %w", name, err)
	}
	if first && !onlyInstance(h) {
		// Windows refuses a first instance of a pipe that exists; Wine
		// does not, but counts the instances.
		windows.CloseHandle(h)
		return windows.InvalidHandle, fmt.Errorf("create pipe %s: %w", name, ErrPipeTaken)
	}
	return h, nil
}

// onlyInstance reports whether h is the only instance of its pipe.
func onlyInstance(h windows.Handle) bool {
	var n uint32
	err := windows.GetNamedPipeHandleState(h, nil, &n, nil, nil, nil, 0)
	return err == nil && n == 1
}

// pipeListener accepts connections on a named pipe. There is always one
// instance waiting for a client (next): a pipe with no instance does not
// exist, and a client would take the master for gone.
type pipeListener struct {
	name     string
	sa       *windows.SecurityAttributes
	acceptMu sync.Mutex // one Accept at a time
	mu       sync.Mutex // guards the fields below
	next     windows.Handle
	quit     windows.Handle // an event Close sets, to end a wait for a client
	waiting  bool           // an Accept waits on next: Accept closes next and quit
	closed   bool
}

// listenPipe creates the first instance of the pipe name, for owner only.
func listenPipe(name string, owner *windows.SID) (*pipeListener, error) {
	sd, err := windows.SecurityDescriptorFromString(pipeSDDL(owner))
	if err != nil {
		return nil, fmt.Errorf("pipe security descriptor: %w", err)
	}
	sa := &windows.SecurityAttributes{SecurityDescriptor: sd}
	sa.Length = uint32(unsafe.Sizeof(*sa))
	quit, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		return nil, fmt.Errorf("create event: %w", err)
	}
	h, err := createPipe(name, sa, true)
	if err != nil {
		windows.CloseHandle(quit)
		return nil, err
	}
	return &pipeListener{name: name, sa: sa, next: h, quit: quit}, nil
}

// Accept waits for the next client and returns its connection.
func (l *pipeListener) Accept() (net.Conn, error) {
	l.acceptMu.Lock()
	defer l.acceptMu.Unlock()
	h, err := l.instance()
	if err != nil {
		return nil, err
	}
	err = connectPipe(h, l.quit)
	for errors.Is(err, windows.ERROR_NO_DATA) {
		// A client came and went (a probe) before it was accepted: the
		// instance waits for the next one.
		windows.DisconnectNamedPipe(h)
		err = connectPipe(h, l.quit)
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	l.waiting = false
	if l.closed {
		windows.CloseHandle(h)
		windows.CloseHandle(l.quit)
		return nil, net.ErrClosed
	}
	if err != nil {
		windows.DisconnectNamedPipe(h)
		return nil, fmt.Errorf("accept on %s: %w", l.name, err)
	}
	// The next instance at once: until it exists, clients wait (busy).
	// If it cannot be made now, the next Accept tries again.
	l.next = windows.InvalidHandle
	if next, err := createPipe(l.name, l.sa, false); err == nil {
		l.next = next
	}
	return newPipeConn(h, l.name, true), nil
}

// instance returns the instance to wait on for the next client, made if
// there is none, and marks the listener waiting.
func (l *pipeListener) instance() (windows.Handle, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return windows.InvalidHandle, net.ErrClosed
	}
	if l.next == windows.InvalidHandle {
		h, err := createPipe(l.name, l.sa, false)
		if err != nil {
			return windows.InvalidHandle, err
		}
		l.next = h
	}
	l.waiting = true
	return l.next, nil
}

// connectPipe waits for a client to connect to the instance h, until the
// event quit is set.
func connectPipe(h, quit windows.Handle) error {
	ev, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		return fmt.Errorf("create event: %w", err)
	}
	defer windows.CloseHandle(ev)
	ov := &windows.Overlapped{HEvent: ev}
	err = windows.ConnectNamedPipe(h, ov)
	switch {
	case err == nil, errors.Is(err, windows.ERROR_PIPE_CONNECTED):
		return nil
	case !errors.Is(err, windows.ERROR_IO_PENDING):
		return err
	}
	w, err := windows.WaitForMultipleObjects([]windows.Handle{ev, quit}, false, windows.INFINITE)
	if err != nil || w != windows.WAIT_OBJECT_0 {
		windows.CancelIoEx(h, ov)
	}
	var n uint32
	if err := windows.GetOverlappedResult(h, ov, &n, true); err != nil {
		return err
	}
	if w != windows.WAIT_OBJECT_0 {
		return net.ErrClosed // connected as it closed: the caller closes h
	}
	return nil
}

// Close stops accepting; connections accepted stay open.
func (l *pipeListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	windows.SetEvent(l.quit)
	if l.waiting {
		return nil // Accept closes next, and quit
	}
	windows.CloseHandle(l.quit)
	if l.next == windows.InvalidHandle {
		return nil
	}
	return windows.CloseHandle(l.next)
}

// Addr is the pipe's name.
func (l *pipeListener) Addr() net.Addr { return pipeAddr(l.name) }

// pipeAddr is a pipe's name as a net.Addr.
type pipeAddr string

// Network is "pipe".
func (pipeAddr) Network() string { return "pipe" }

// String is the pipe's name.
func (a pipeAddr) String() string { return string(a) }

// pipeBusyRetry is the pause between attempts while every instance of a
// pipe is taken: the master makes a new one as soon as it accepts.
const pipeBusyRetry = 5 * time.Millisecond

// pipeBusyWait bounds that wait when the caller sets no timeout.
const pipeBusyWait = 10 * time.Second

// dialPipe connects to the pipe name, waiting at most timeout (none when
// zero: pipeBusyWait) for a free instance. A pipe that does not exist is reported as
// syscall.ECONNREFUSED, as a Unix socket nobody listens on: its master is
// gone. The client lets the server identify it, not impersonate it.
func dialPipe(name string, timeout time.Duration) (net.Conn, error) {
	n, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(cmp.Or(timeout, pipeBusyWait))
	for {
		h, err := windows.CreateFile(n, windows.GENERIC_READ|windows.GENERIC_WRITE, 0, nil, windows.OPEN_EXISTING,
			windows.FILE_FLAG_OVERLAPPED|windows.SECURITY_SQOS_PRESENT|windows.SECURITY_IDENTIFICATION, 0)
		switch {
		case err == nil:
			return newPipeConn(h, name, false), nil
		case errors.Is(err, windows.ERROR_FILE_NOT_FOUND):
			return nil, fmt.Errorf("connect %s: %w", name, syscall.ECONNREFUSED)
		case !errors.Is(err, windows.ERROR_PIPE_BUSY):
			return nil, fmt.Errorf("connect %s: %w", name, err)
		case time.Now().After(deadline):
			return nil, fmt.Errorf("connect %s: %w", name, windows.ERROR_PIPE_BUSY)
		}
		time.Sleep(pipeBusyRetry)
	}
}
