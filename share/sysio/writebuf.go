package sysio

import (
	"net"
	"sync"
	"time"
)

// x/crypto/ssh writes every packet with its own system calls (two for a
// 32 KiB data packet: its 4 KiB buffer, then the rest). Over loopback TCP
// each write runs the receiver's TCP stack too, so a bulk transfer pays
// that per packet. batchedConn hands writes to a goroutine that sends
// whatever has gathered in one system call: a lone packet goes out at
// once, and packets that arrive while a send is under way go out together
// after it. Close sends what is queued first.

// maxBatch bounds the bytes gathered for one send; a writer waits when
// that much is queued.
const maxBatch = 256 << 10

// closeLinger bounds how long Close waits for queued bytes to go.
const closeLinger = time.Second

// batchedConn is a connection whose writes are gathered and sent by one
// goroutine.
type batchedConn struct {
	net.Conn
	mu      sync.Mutex
	ready   sync.Cond // signalled when bytes are queued or the conn closes
	drained sync.Cond // signalled when the queue has been taken
	queue   []byte
	spare   []byte
	err     error // of a send, returned by every later Write
	closed  bool
	sending bool // a send is under way, outside the lock
}

// BatchWrites returns conn with its writes gathered as above.
func BatchWrites(conn net.Conn) net.Conn {
	c := &batchedConn{Conn: conn}
	c.ready.L = &c.mu
	c.drained.L = &c.mu
	go c.send()
	return c
}

// Write queues p, waiting while maxBatch bytes are queued.
func (c *batchedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.queue) >= maxBatch && c.err == nil && !c.closed {
		c.drained.Wait()
	}
	if c.err != nil {
		return 0, c.err
	}
	if c.closed {
		return 0, net.ErrClosed
	}
	c.queue = append(c.queue, p...)
	c.ready.Signal()
	return len(p), nil
}

// send writes out the queue until the connection closes or fails.
func (c *batchedConn) send() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		for len(c.queue) == 0 && !c.closed {
			c.ready.Wait()
		}
		if len(c.queue) == 0 {
			return
		}
		out := c.queue
		c.queue, c.spare = c.spare[:0], nil
		c.sending = true
		c.drained.Broadcast()
		c.mu.Unlock()
		_, err := c.Conn.Write(out)
		c.mu.Lock()
		c.sending = false
		c.spare = out
		c.drained.Broadcast()
		if err != nil {
			c.err = err
			return
		}
	}
}

// Close lets the queued bytes go, for up to closeLinger, then closes.
func (c *batchedConn) Close() error {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		c.ready.Signal()
		c.drained.Broadcast()
		c.Conn.SetWriteDeadline(time.Now().Add(closeLinger))
	}
	for (len(c.queue) > 0 || c.sending) && c.err == nil {
		c.drained.Wait()
	}
	c.mu.Unlock()
	return c.Conn.Close()
}
