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
// as a bulk reader takes data: x/crypto sends an adjustment on a read once
// 96 KiB or half the window is owed, which under a download is every few
// reads. So while someone types in a terminal session on the connection,
// each bulk session's reader takes at most bulkChunk before waiting for
// the connection's reader to catch up, that is, to finish a read that
// leaves nothing in its read buffer or in the socket. What the server may
// then have in flight ahead of an echo is about a chunk and an
// adjustment per bulk session, not a window.
//
// A catch-up is a read that ends, so a bulk reader waits for the next
// data to arrive even where the master keeps up: on a link slower than
// the master that is the next packet, which the reader takes at once. If
// nothing arrives within catchUpWait, the server has sent all it had, or
// waits for the window to move: the bulk reader then takes up to
// idleBurst (enough for x/crypto to adjust the window) before it waits
// again, sooner if the connection's reader reads meanwhile. Stderr's
// data, forwarded ports and terminal sessions' own output are never
// paced. The pacing engages only while keys are being typed.

const (
	// bulkChunk is what a bulk reader takes between two catch-ups of the
	// connection's reader: one data packet.
	bulkChunk = 32 << 10
	// catchUpWait bounds one wait for a catch-up.
	catchUpWait = time.Millisecond
	// idleBurst is what a bulk reader takes unpaced after a wait found the
	// connection idle: more than the 96 KiB after which x/crypto adjusts
	// the window, so that the server may send again.
	idleBurst = 4 * bulkChunk
	// typingSpell is how long after a keystroke the bulk readers keep
	// yielding.
	typingSpell = 2 * time.Second
	// keysRead is the most a terminal's read may bring and count as keys
	// typed: more is a paste or a pipe (ssh -tt host cmd < file).
	keysRead = 256
)

// Priority gives a connection's terminal sessions precedence over its
// bulk sessions (see above). A nil *Priority gives none: every method is
// a no-op.
type Priority struct {
	backlog   func() int    // bytes received and not yet taken by x/crypto; asked by the reader only
	wait      time.Duration // bounds a wait for a catch-up: catchUpWait
	terminals atomic.Int32  // terminal sessions open on the connection
	typedAt   atomic.Int64  // when a key was last typed in one, in ns since start, plus 1; 0 for never
	start     time.Time
	waiting   atomic.Int32  // bulk readers waiting for a catch-up
	reads     atomic.Uint64 // the connection's reads that brought data
	round     atomic.Uint64 // the catch-ups, counted under mu and read without it

	mu       sync.Mutex
	caughtUp chan struct{} // closed, and replaced, at each catch-up
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
	if n > 0 {
		c.p.reads.Add(1)
	}
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

// Keys returns r, a terminal session's input, reading so that what it
// brings counts as keys typed on the connection.
func (p *Priority) Keys(r io.Reader) io.Reader {
	if p == nil {
		return r
	}
	return keysReader{r: r, p: p}
}

// keysReader is a terminal session's input.
type keysReader struct {
	r io.Reader
	p *Priority
}

func (k keysReader) Read(b []byte) (int, error) {
	n, err := k.r.Read(b)
	k.p.typed(n)
	return n, err
}

// typed records n bytes read from a terminal session's keyboard: keys
// typed, unless n is more than a few hundred.
func (p *Priority) typed(n int) {
	if n > 0 && n <= keysRead {
		p.typedAt.Store(int64(time.Since(p.start)) + 1) // the clock may not have moved since start (Windows)
	}
}

// typing reports whether a terminal session is open and a key was typed
// in the last typingSpell.
func (p *Priority) typing() bool {
	if p.terminals.Load() == 0 {
		return false
	}
	typed := p.typedAt.Load()
	return typed != 0 && time.Since(p.start)-time.Duration(typed-1) < typingSpell
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
	// idleLeft, set when a wait found no catch-up, is what may still be
	// read unpaced while the connection has read nothing since idleAt
	// reads.
	idleLeft int
	idleAt   uint64
}

func (b *bulkReader) Read(buf []byte) (int, error) {
	if b.p.typing() {
		if b.taken >= bulkChunk && !b.stillIdle() {
			b.idleLeft = 0
			if !b.p.awaitCatchUp(b.round) {
				b.idleLeft, b.idleAt = idleBurst, b.p.reads.Load()
			}
			b.taken = 0
		}
		buf = buf[:min(len(buf), bulkChunk)]
	}
	if r := b.p.round.Load(); r != b.round {
		b.round, b.taken = r, 0
	}
	n, err := b.r.Read(buf)
	b.taken += n
	b.idleLeft -= n
	return n, err
}

// stillIdle reports whether the reader may go on unpaced: a wait found
// the connection idle, the connection has read nothing since, and less
// than idleBurst has been read.
func (b *bulkReader) stillIdle() bool {
	return b.idleLeft > 0 && b.p.reads.Load() == b.idleAt
}

// awaitCatchUp waits, at most p.wait, for a catch-up after the round-th,
// and reports whether there was one.
func (p *Priority) awaitCatchUp(round uint64) bool {
	p.waiting.Add(1)
	defer p.waiting.Add(-1)
	p.mu.Lock()
	caughtUp := p.caughtUp
	p.mu.Unlock()
	if p.round.Load() != round {
		return true
	}
	t := time.NewTimer(p.wait)
	defer t.Stop()
	select {
	case <-caughtUp:
		return true
	case <-t.C:
		return false
	}
}

// backlogOf returns what conn, from sysio.ReadBuffered over raw, holds
// unread: in its buffer, or else in raw's socket or pipe. It is nil when
// raw's descriptor cannot be asked.
func backlogOf(raw, conn net.Conn) func() int {
	unread := sysio.Unread(raw)
	if unread == nil {
		return nil
	}
	return func() int {
		if n := sysio.Buffered(conn); n > 0 {
			return n
		}
		return unread()
	}
}
