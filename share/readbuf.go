package share

import (
	"bufio"
	"net"
)

// x/crypto/ssh reads a connection through a 4 KiB bufio.Reader: for each
// 32 KiB data packet that is one read for the length and the first 4 KiB,
// then one or more for the rest, each a system call and often a wake-up.
// readBuffered puts a larger buffer underneath, so a busy connection
// yields several packets per system call; x/crypto's small reads are then
// copies from memory.

// Read buffer sizes: upstream connections are few and carry every
// client's bulk; a client's is per local ssh, of which there may be
// hundreds.
const (
	upstreamReadBuffer = 256 << 10
	clientReadBuffer   = 64 << 10
)

// readBuffered returns conn reading through a buffer of size bytes.
func readBuffered(conn net.Conn, size int) net.Conn {
	return &bufferedConn{Conn: conn, r: bufio.NewReaderSize(conn, size)}
}

// bufferedConn is a connection whose reads go through r.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
