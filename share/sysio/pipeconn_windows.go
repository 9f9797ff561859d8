package sysio

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/windows"
)

// A named pipe cannot be half-closed: closing one end ends both
// directions. The share relay needs exactly that half-close (ssh's EOF
// must reach the master while the master's last bytes still reach ssh),
// so both ends of an sshshare pipe frame what they write: each write is
// a 4-byte big-endian length and that many bytes, and a frame of length
// zero is the end of the writer's direction (CloseWrite). Both ends are
// the same code: the pipe is new with this transport, so no master or
// invocation of an older build speaks it unframed.

// maxPipeFrame bounds the bytes of one frame a write sends; a reader
// takes any length.
const maxPipeFrame = 64 << 10

// errWriteClosed is returned for a write after CloseWrite, or after a
// write that failed midway (the peer's framing would be lost).
var errWriteClosed = errors.New("pipe closed for writing")

// pipeConn is one end of a connected pipe, framed as above. Reads and
// writes may run at once, and honour deadlines.
type pipeConn struct {
	f      *os.File
	name   string
	server bool // the master's end

	rmu  sync.Mutex
	r    *bufio.Reader
	left uint32 // bytes of the current frame not read yet
	eof  bool   // the peer's zero frame has been read

	wmu     sync.Mutex
	wbuf    []byte
	wclosed bool
}

// newPipeConn makes a connection of h, an overlapped pipe handle.
func newPipeConn(h windows.Handle, name string, server bool) *pipeConn {
	f := os.NewFile(uintptr(h), name)
	return &pipeConn{f: f, name: name, server: server, r: bufio.NewReaderSize(f, maxPipeFrame)}
}

// Read reads the peer's bytes; io.EOF once the peer has called CloseWrite
// or closed its end.
func (c *pipeConn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if len(p) == 0 {
		return 0, nil
	}
	for c.left == 0 {
		if c.eof {
			return 0, io.EOF
		}
		// Peek keeps a header read in part when a deadline cuts it short.
		hdr, err := c.r.Peek(4)
		if err != nil {
			if errors.Is(err, io.EOF) && len(hdr) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		c.left = binary.BigEndian.Uint32(hdr)
		c.r.Discard(4)
		c.eof = c.left == 0
	}
	n, err := c.r.Read(p[:min(uint32(len(p)), c.left)])
	c.left -= uint32(n)
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF // the peer closed within a frame
	}
	return n, err
}

// Write sends p in frames.
func (c *pipeConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	written := 0
	for len(p) > 0 {
		n := min(len(p), maxPipeFrame)
		if err := c.writeFrame(p[:n]); err != nil {
			return written, err
		}
		written += n
		p = p[n:]
	}
	return written, nil
}

// writeFrame writes one frame, header and bytes in one write. A failed
// write leaves the peer in the middle of a frame: nothing more is sent.
func (c *pipeConn) writeFrame(b []byte) error {
	if c.wclosed {
		return fmt.Errorf("write %s: %w", c.name, errWriteClosed)
	}
	c.wbuf = binary.BigEndian.AppendUint32(c.wbuf[:0], uint32(len(b)))
	c.wbuf = append(c.wbuf, b...)
	if _, err := c.f.Write(c.wbuf); err != nil {
		c.wclosed = true
		return err
	}
	return nil
}

// CloseWrite ends this side's bytes: the peer reads io.EOF, and may go on
// writing.
func (c *pipeConn) CloseWrite() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.wclosed {
		return nil
	}
	err := c.writeFrame(nil)
	c.wclosed = true
	return err
}

// Close closes the pipe end; the peer reads what was written before, then
// io.EOF.
func (c *pipeConn) Close() error { return c.f.Close() }

// LocalAddr is the pipe's name.
func (c *pipeConn) LocalAddr() net.Addr { return pipeAddr(c.name) }

// RemoteAddr is the pipe's name.
func (c *pipeConn) RemoteAddr() net.Addr { return pipeAddr(c.name) }

// SetDeadline sets the read and write deadlines.
func (c *pipeConn) SetDeadline(t time.Time) error { return c.f.SetDeadline(t) }

// SetReadDeadline sets the read deadline.
func (c *pipeConn) SetReadDeadline(t time.Time) error { return c.f.SetReadDeadline(t) }

// SetWriteDeadline sets the write deadline.
func (c *pipeConn) SetWriteDeadline(t time.Time) error { return c.f.SetWriteDeadline(t) }

// peerPID is the process id at the other end: the client's on the
// master's end, the master's on a client's.
func (c *pipeConn) peerPID() (uint32, error) {
	var pid uint32
	var err error
	rc, err2 := c.f.SyscallConn()
	if err2 != nil {
		return 0, err2
	}
	cerr := rc.Control(func(h uintptr) {
		if c.server {
			err = windows.GetNamedPipeClientProcessId(windows.Handle(h), &pid)
		} else {
			err = windows.GetNamedPipeServerProcessId(windows.Handle(h), &pid)
		}
	})
	return pid, errors.Join(cerr, err)
}
