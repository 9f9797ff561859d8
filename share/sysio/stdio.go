package sysio

import (
	"errors"
	"io"
	"net"
	"os"
	"time"
)

// Handing over stdio: an invocation in share mode sends its stdin and
// stdout, the pipes to and from the local ssh, to the master over the
// control connection (SCM_RIGHTS), as OpenSSH's own mux client hands its
// stdio to ControlMaster. The master then reads and writes ssh's pipes
// directly: no relay through the invocation, which would copy every byte
// twice more and cost a wake-up per packet each way. The invocation stays
// until the master closes the control connection, to report how the
// session ended. Where fds cannot be passed (Windows), or the master does
// not take them, the invocation splices instead.

// handOverByte is the one data byte that carries the fds.
const handOverByte = 'S'

// handOverWait bounds the master's wait for the fds after accepting them.
const handOverWait = 10 * time.Second

// StdioFiles returns stdin and stdout as files an invocation can hand
// over: pipes or sockets (not a terminal), on a platform that passes fds.
func StdioFiles(stdin io.Reader, stdout io.Writer) (in, out *os.File, ok bool) {
	in, inOK := stdin.(*os.File)
	out, outOK := stdout.(*os.File)
	if !inOK || !outOK || !CanPassFds {
		return nil, nil, false
	}
	return in, out, isStream(in) && isStream(out)
}

// isStream reports whether f is a pipe or a socket.
func isStream(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&(os.ModeNamedPipe|os.ModeSocket) != 0
}

// HandOverStdio hands in and out to the master over conn, then waits
// until the master closes conn: the session is over.
func HandOverStdio(conn net.Conn, in, out *os.File) error {
	if err := SendStdio(conn, in, out); err != nil {
		return err
	}
	_, err := io.Copy(io.Discard, conn)
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// stdioConn is a local ssh's pipes, handed over by its invocation, as the
// connection the master's SSH server runs on.
type stdioConn struct {
	r, w *os.File
	// rSocket and wSocket mark an end that is a socket: the master shares
	// its open file description with the sender, who can make it
	// blocking, so raw calls on it pass MSG_DONTWAIT (see adopt).
	rSocket, wSocket bool
	// shared marks a pipe the master could not open again: no raw calls
	// are made on this connection.
	shared bool
}

func (c *stdioConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *stdioConn) Write(p []byte) (int, error) { return c.w.Write(p) }
func (c *stdioConn) Close() error                { return errors.Join(c.r.Close(), c.w.Close()) }
func (c *stdioConn) LocalAddr() net.Addr         { return stdioAddr{} }
func (c *stdioConn) RemoteAddr() net.Addr        { return stdioAddr{} }

// CloseWrite closes ssh's input only: ssh reads EOF and ends ("Connection
// closed"), while what it still writes is read, not refused (a write to a
// closed pipe would make it report "Broken pipe" instead).
func (c *stdioConn) CloseWrite() error { return c.w.Close() }

func (c *stdioConn) SetDeadline(t time.Time) error {
	return errors.Join(c.r.SetReadDeadline(t), c.w.SetWriteDeadline(t))
}

func (c *stdioConn) SetReadDeadline(t time.Time) error  { return c.r.SetReadDeadline(t) }
func (c *stdioConn) SetWriteDeadline(t time.Time) error { return c.w.SetWriteDeadline(t) }

// stdioAddr is the address of a stdioConn's ends.
type stdioAddr struct{}

func (stdioAddr) Network() string { return "pipe" }
func (stdioAddr) String() string  { return "ssh stdio" }
