package sysio

import (
	"net"
)

// x/crypto/ssh reads a connection through a 4 KiB bufio.Reader: for each
// 32 KiB data packet that is one read for the length and the first 4 KiB,
// then one or more for the rest, each a system call and often a wake-up.
// ReadBuffered puts a larger buffer underneath, so a busy connection
// yields several packets per system call; x/crypto's small reads are then
// copies from memory. A large read that finds the buffer empty goes
// straight into the caller's slice, saving the copy.

// Read buffer sizes: upstream connections are few and carry every
// client's bulk; a client's is per local ssh, of which there may be
// hundreds.
const (
	UpstreamReadBuffer = 256 << 10
	ClientReadBuffer   = 64 << 10
	// directRead is the smallest read that bypasses an empty buffer.
	directRead = 16 << 10
)

// ReadBuffered returns conn reading through a buffer of size bytes.
func ReadBuffered(conn net.Conn, size int) net.Conn {
	return &bufferedConn{Conn: conn, buf: make([]byte, size)}
}

// bufferedConn is a connection whose reads go through buf[r:w].
type bufferedConn struct {
	net.Conn
	buf  []byte
	r, w int
}

func (c *bufferedConn) Read(p []byte) (int, error) {
	if c.r == c.w {
		if len(p) >= directRead {
			return c.Conn.Read(p)
		}
		n, err := c.Conn.Read(c.buf)
		c.r, c.w = 0, n
		if n == 0 {
			return 0, err
		}
	}
	n := copy(p, c.buf[c.r:c.w]) // the error, if any, comes again on the next read
	c.r += n
	return n, nil
}

// Buffered reports how many bytes conn, from ReadBuffered, holds read
// from below and not yet returned; 0 for any other connection. Only the
// goroutine that reads conn may ask.
func Buffered(conn net.Conn) int {
	if c, ok := conn.(*bufferedConn); ok {
		return c.w - c.r
	}
	return 0
}
