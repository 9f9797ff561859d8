package harness

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// relayQueue bounds the chunks in flight per direction; with 32 KiB reads
// that is 8 MiB, far above any bandwidth-delay product the tests use.
const relayQueue = 256

// Relay is a TCP relay on 127.0.0.1 that forwards every connection to a
// target, delaying each direction by a fixed one-way delay, and that can
// black-hole the connections open at a given moment, as a network change
// does.
type Relay struct {
	target string
	delay  time.Duration
	ln     net.Listener
	tb     TB

	mu       sync.Mutex
	conns    map[*relayConn]bool
	accepted int
	closed   bool
	wg       sync.WaitGroup
}

// relayConn is one relayed connection: the accepted side and the dialled
// side.
type relayConn struct {
	client, server net.Conn
	blackholed     atomic.Bool
	done           chan struct{} // closed by close
	closeOnce      sync.Once
}

func (rc *relayConn) close() {
	rc.closeOnce.Do(func() {
		close(rc.done)
		rc.client.Close()
		if rc.server != nil {
			rc.server.Close()
		}
	})
}

// NewRelay starts a relay to target that delays each chunk by oneWayDelay
// in each direction, so a round trip costs 2*oneWayDelay. Delays are
// pipelined: a chunk waits oneWayDelay from when it was read, not behind
// the previous chunk's delay, so throughput is not capped at one chunk per
// round trip. A cleanup closes it.
func NewRelay(tb TB, target string, oneWayDelay time.Duration) *Relay {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("relay listen: %v", err)
	}
	r := &Relay{target: target, delay: oneWayDelay, ln: ln, tb: tb, conns: make(map[*relayConn]bool)}
	r.wg.Add(1)
	go r.acceptLoop()
	tb.Cleanup(r.Close)
	return r
}

// Addr returns the relay's "127.0.0.1:PORT".
func (r *Relay) Addr() string { return r.ln.Addr().String() }

// Port returns the relay's port.
func (r *Relay) Port() int { return r.ln.Addr().(*net.TCPAddr).Port }

// Conns returns how many connections the relay has accepted.
func (r *Relay) Conns() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.accepted
}

// BlackHole stops relaying on every connection open now, in both
// directions, without closing it: bytes are read and dropped, and neither
// peer sees a FIN or RST, just silence. Connections accepted later relay
// normally.
func (r *Relay) BlackHole() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for rc := range r.conns {
		rc.blackholed.Store(true)
	}
}

// Retarget makes the relay dial addr for the connections it accepts from
// now on, as when another server takes over an address; open connections
// keep their server.
func (r *Relay) Retarget(addr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.target = addr
}

// Cut closes every connection open now, both sides, as a server that
// drops its connections does: each peer sees its connection end.
// Connections accepted later relay normally.
func (r *Relay) Cut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for rc := range r.conns {
		rc.close()
	}
}

// Close stops accepting, closes every connection and waits for the relay's
// goroutines to finish. It is safe to call more than once.
func (r *Relay) Close() {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		r.ln.Close()
		for rc := range r.conns {
			rc.close()
		}
	}
	r.mu.Unlock()
	r.wg.Wait()
}

func (r *Relay) acceptLoop() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return // closed
		}
		rc := &relayConn{client: c, done: make(chan struct{})}
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			c.Close()
			return
		}
		r.accepted++
		r.conns[rc] = true
		r.wg.Add(1)
		r.mu.Unlock()
		go r.serve(rc)
	}
}

// serve dials the target and relays both ways until both directions have
// ended, then closes the pair.
func (r *Relay) serve(rc *relayConn) {
	defer r.wg.Done()
	defer func() {
		rc.close()
		r.mu.Lock()
		delete(r.conns, rc)
		r.mu.Unlock()
	}()
	r.mu.Lock()
	target := r.target
	r.mu.Unlock()
	server, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		r.tb.Logf("relay: dial %s: %v", target, err)
		return
	}
	r.mu.Lock()
	rc.server = server
	closed := r.closed
	r.mu.Unlock()
	if closed {
		server.Close()
		return
	}
	var both sync.WaitGroup
	both.Add(2)
	go func() { defer both.Done(); r.pipe(rc, rc.server, rc.client) }()
	go func() { defer both.Done(); r.pipe(rc, rc.client, rc.server) }()
	both.Wait()
	if rc.blackholed.Load() {
		<-rc.done // a black hole never sends FIN or RST; wait for Close
	}
}

// chunk is a piece of the stream, or its end, and when it was read.
type chunk struct {
	data []byte
	eof  bool
	read time.Time
}

// pipe relays src to dst. On EOF it half-closes dst once everything before
// the EOF has been written; on any other error it closes the whole pair,
// so a reset on one side reaches the other, unless the pair is
// black-holed.
func (r *Relay) pipe(rc *relayConn, dst, src net.Conn) {
	if r.delay <= 0 {
		r.copyDirect(rc, dst, src)
		return
	}
	queue := make(chan chunk, relayQueue)
	var writer sync.WaitGroup
	writer.Add(1)
	go func() {
		defer writer.Done()
		r.writeDelayed(rc, dst, queue)
	}()
	defer writer.Wait()
	defer close(queue)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		c := chunk{data: append([]byte(nil), buf[:n]...), read: time.Now()}
		if err != nil {
			if !r.readFailed(rc, err) {
				return
			}
			c.eof = true
		}
		if n > 0 || c.eof {
			select {
			case queue <- c:
			case <-rc.done:
				return
			}
		}
		if c.eof {
			return
		}
	}
}

// writeDelayed writes each queued chunk to dst once it is r.delay old.
func (r *Relay) writeDelayed(rc *relayConn, dst net.Conn, queue <-chan chunk) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for c := range queue {
		if wait := time.Until(c.read.Add(r.delay)); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-rc.done:
				return
			}
		}
		if len(c.data) > 0 && !r.forward(rc, dst, c.data, false) {
			return
		}
		if c.eof {
			r.forward(rc, dst, nil, true)
			return
		}
	}
}

// copyDirect relays src to dst without delay.
func (r *Relay) copyDirect(rc *relayConn, dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !r.forward(rc, dst, buf[:n], false) {
			return
		}
		if err != nil {
			if r.readFailed(rc, err) {
				r.forward(rc, dst, nil, true)
			}
			return
		}
	}
}

// readFailed handles a read error and reports whether it was a clean EOF
// to pass on. Any other error closes the pair, unless it is black-holed:
// then the other peer must hear nothing.
func (r *Relay) readFailed(rc *relayConn, err error) bool {
	if errors.Is(err, io.EOF) {
		return true
	}
	if !rc.blackholed.Load() {
		rc.close()
	}
	return false
}

// forward writes data to dst, or half-closes dst at eof, unless the
// connection is black-holed. It reports whether relaying should go on.
func (r *Relay) forward(rc *relayConn, dst net.Conn, data []byte, eof bool) bool {
	if rc.blackholed.Load() {
		return !eof // the bytes vanish; keep draining the source
	}
	if eof {
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
		return false
	}
	if _, err := dst.Write(data); err != nil {
		if !rc.blackholed.Load() {
			rc.close()
		}
		return false
	}
	return true
}
