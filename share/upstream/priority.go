package upstream

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sshshare/sshshare/share/sysio"
)

// Typing beside a bulk transfer. An upstream connection is one ordered
// stream: a terminal's echo that the server sends after a megabyte of a
// download reaches the user only once the master has read and decrypted
// that megabyte. Each of the download's channels lets the server have up
// to x/crypto's window (2 MiB) in flight, and when the master is the
// slower side (a fast link, AES-GCM in sshd, one processor here) that
// window sits in the socket ahead of every echo: 3-4 ms per key on two
// loopback cores, against 1 ms through ControlMaster, whose single loop
// reads the socket a little at a time.
//
// The window cannot be made smaller through x/crypto, but it refills only
// as a bulk reader takes data (x/crypto adjusts the window on each read).
// So while someone types in a terminal session on the connection, a bulk
// session's reader takes at most bulkChunk before waiting for the
// connection's reader to catch up, that is, to find nothing more in the
// socket or in the read buffer. What the server may then have in flight
// ahead of an echo is about a chunk and an adjustment, not a window.
//
// A link slower than the master never leaves data queued, so there the
// reader is always caught up and nothing waits; the pacing engages only
// where the master itself is the bottleneck, and only while keys are
// being typed.

const (
	// bulkChunk is what a bulk reader takes between two catch-ups of the
	// connection's reader: one data packet.
	bulkChunk = 32 << 10
	// catchUpWait bounds one wait for a catch-up, for a reader blocked on
	// something other than its socket, or a server that has nothing more
	// to send until the window moves.
	catchUpWait = time.Millisecond
	// typingSpell is how long after a keystroke the bulk readers keep
	// yielding.
	typingSpell = 2 * time.Second
)

// Priority gives a connection's terminal sessions precedence over its
// bulk sessions (see above). A nil *Priority gives none: every method is
// a no-op.
type Priority struct {
	backlog   func() int    // bytes received and not yet taken by x/crypto; asked by the reader only
	wait      time.Duration // bounds a wait for a catch-up: catchUpWait
	terminals atomic.Int32  // terminal sessions open on the connection
	typedAt   atomic.Int64  // when a key was last typed in one, in ns since start
	start     time.Time
	waiting   atomic.Int32 // bulk readers waiting for a catch-up

	mu       sync.Mutex
	caughtUp chan struct{} // closed, and replaced, at each catch-up
	round    atomic.Uint64 // counts the catch-ups
}

// newPriority returns a Priority for a connection whose unread bytes
// backlog reports, or nil when that cannot be known.
func newPriority(backlog func() int) *Priority {
	if backlog == nil {
		return nil
	}
	return &Priority{backlog: backlog, wait: catchUpWait, start: time.Now(), caughtUp: make(chan struct{})}
}

// watchReads returns conn, whose reader is x/crypto's, reporting each
// read after which nothing is left to read to p.
func (p *Priority) watchReads(conn net.Conn) net.Conn {
	if p == nil {
		return conn
	}
	return &watchedConn{Conn: conn, p: p}
}

// watchedConn is a connection that reports its reader's catch-ups.
type watchedConn struct {
	net.Conn
	p *Priority
}

func (c *watchedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if c.p.waiting.Load() > 0 && c.p.backlog() == 0 {
		c.p.caughtUpNow()
	}
	return n, err
}

// caughtUpNow wakes the bulk readers waiting for a catch-up.
func (p *Priority) caughtUpNow() {
	p.mu.Lock()
	p.round.Add(1)
	close(p.caughtUp)
	p.caughtUp = make(chan struct{})
	p.mu.Unlock()
}

// Terminal records a terminal session opened on the connection; the
// function it returns records its end.
func (p *Priority) Terminal() (end func()) {
	if p == nil {
		return func() {}
	}
	p.terminals.Add(1)
	var once sync.Once
	return func() { once.Do(func() { p.terminals.Add(-1) }) }
}

// Typed records a key typed in a terminal session.
func (p *Priority) Typed() {
	if p != nil {
		p.typedAt.Store(int64(time.Since(p.start)))
	}
}

// typing reports whether a terminal session is open and a key was typed
// in the last typingSpell.
func (p *Priority) typing() bool {
	if p.terminals.Load() == 0 {
		return false
	}
	typed := p.typedAt.Load()
	return typed != 0 && time.Since(p.start)-time.Duration(typed) < typingSpell
}

// Bulk returns r, a bulk session's channel, reading so that it yields to
// typing on the connection.
func (p *Priority) Bulk(r io.Reader) io.Reader {
	if p == nil {
		return r
	}
	return &bulkReader{r: r, p: p}
}

// bulkReader is a bulk session's reader that yields to typing.
type bulkReader struct {
	r     io.Reader
	p     *Priority
	round uint64 // the catch-up count when taken was last reset
	taken int    // bytes read since
}

func (b *bulkReader) Read(buf []byte) (int, error) {
	if b.p.typing() {
		if b.taken >= bulkChunk {
			b.p.awaitCatchUp(b.round)
			b.taken = 0
		}
		buf = buf[:min(len(buf), bulkChunk)]
	}
	if r := b.p.round.Load(); r != b.round {
		b.round, b.taken = r, 0
	}
	n, err := b.r.Read(buf)
	b.taken += n
	return n, err
}

// awaitCatchUp waits, at most p.wait, for a catch-up after the round-th.
func (p *Priority) awaitCatchUp(round uint64) {
	p.waiting.Add(1)
	defer p.waiting.Add(-1)
	p.mu.Lock()
	caughtUp := p.caughtUp
	p.mu.Unlock()
	if p.round.Load() != round {
		return
	}
	t := time.NewTimer(p.wait)
	defer t.Stop()
	select {
	case <-caughtUp:
	case <-t.C:
	}
}

// backlogOf returns what conn, from sysio.ReadBuffered over raw, holds
// unread: in raw's socket or pipe and in conn's buffer. It is nil when
// raw's descriptor cannot be asked.
func backlogOf(raw, conn net.Conn) func() int {
	unread := sysio.Unread(raw)
	if unread == nil {
		return nil
	}
	return func() int { return unread() + sysio.Buffered(conn) }
}
