package upstream

import (
	"bytes"
	"context"
	"io"
	"net"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/sshtest"
	"golang.org/x/crypto/ssh"
)

// countingReader fills each read, forever, and counts the reads.
type countingReader struct{ reads atomic.Int32 }

func (r *countingReader) Read(p []byte) (int, error) {
	r.reads.Add(1)
	return len(p), nil
}

// fakeConn is the connection's reader side: each Read returns one byte.
type fakeConn struct{ net.Conn }

func (fakeConn) Read(p []byte) (int, error) { return copy(p, "x"), nil }

// priorityLab is a Priority whose backlog the test sets, with waits that
// only a catch-up ends, and its connection as x/crypto would read it.
type priorityLab struct {
	p       *Priority
	backlog atomic.Int64
	conn    net.Conn
}

func newPriorityLab(t *testing.T) *priorityLab {
	t.Helper()
	l := &priorityLab{}
	l.p = newPriority(func() int { return int(l.backlog.Load()) })
	l.p.wait = time.Hour
	l.conn = l.p.watchReads(fakeConn{})
	return l
}

// readInBackground makes n reads of 64 KiB through r and reports the
// end on the channel it returns.
func readInBackground(r io.Reader, n int) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for range n {
			r.Read(buf)
		}
	}()
	return done
}

// While a key is being typed in a terminal session, a bulk reader takes
// one chunk and then waits for the connection's reader to find nothing
// left to read; a read that leaves a backlog does not release it.
func TestPriorityBulkWaitsForCatchUp(t *testing.T) {
	l := newPriorityLab(t)
	end := l.p.Terminal()
	defer end()
	l.p.typed(1)
	src := &countingReader{}
	done := readInBackground(l.p.Bulk(src), 2)

	sshtest.WaitFor(t, "the bulk reader waits after its first chunk", func() bool { return l.p.waiting.Load() == 1 })
	if got := src.reads.Load(); got != 1 {
		t.Fatalf("reads before the catch-up = %d, want 1", got)
	}
	l.backlog.Store(4096)
	l.conn.Read(make([]byte, 1))
	if got := src.reads.Load(); got != 1 || l.p.waiting.Load() != 1 {
		t.Fatalf("a read that left 4096 bytes unread released the bulk reader (reads %d)", got)
	}
	l.backlog.Store(0)
	l.conn.Read(make([]byte, 1))
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the bulk reader still waits after the connection's reader caught up")
	}
	if got := src.reads.Load(); got != 2 {
		t.Fatalf("reads = %d, want 2", got)
	}
}

// While typing, a bulk reader's reads are cut to one chunk, so that one
// read never takes a whole window.
func TestPriorityBulkReadsAChunk(t *testing.T) {
	l := newPriorityLab(t)
	defer l.p.Terminal()()
	l.p.typed(1)
	src := bytes.NewReader(make([]byte, 1<<20))
	n, err := l.p.Bulk(src).Read(make([]byte, 1<<20))
	if err != nil || n != bulkChunk {
		t.Fatalf("read %d bytes, %v; want %d", n, err, bulkChunk)
	}
}

// Nothing waits without a terminal session, without a key typed lately,
// or without a Priority at all (a connection whose backlog is unknown).
func TestPriorityBulkRunsFree(t *testing.T) {
	cases := map[string]func(l *priorityLab){
		"no terminal session": func(l *priorityLab) { l.p.typed(1) },
		"terminal, no key":    func(l *priorityLab) { l.p.Terminal() },
		"terminal ended": func(l *priorityLab) {
			end := l.p.Terminal()
			l.p.typed(1)
			end()
			end() // a second call changes nothing
		},
		"a paste, not keys": func(l *priorityLab) {
			l.p.Terminal()
			l.p.typed(keysRead + 1)
		},
		"key typed long ago": func(l *priorityLab) {
			l.p.Terminal()
			l.p.typedAt.Store(int64(time.Since(l.p.start)-typingSpell-time.Second) + 1)
		},
	}
	for name, set := range cases {
		t.Run(name, func(t *testing.T) {
			l := newPriorityLab(t)
			set(l)
			l.backlog.Store(1 << 20)
			src := &countingReader{}
			select {
			case <-readInBackground(l.p.Bulk(src), 100):
			case <-time.After(5 * time.Second):
				t.Fatalf("bulk reads wait (%d of 100 done)", src.reads.Load())
			}
		})
	}
	t.Run("no priority", func(t *testing.T) {
		var p *Priority
		defer p.Terminal()()
		src := &countingReader{}
		if r := p.Bulk(src); r != io.Reader(src) {
			t.Fatalf("nil Priority wrapped the reader: %T", r)
		}
		if r := p.Keys(src); r != io.Reader(src) {
			t.Fatalf("nil Priority wrapped the keys: %T", r)
		}
		if c := p.watchReads(fakeConn{}); c != (fakeConn{}) {
			t.Fatalf("nil Priority wrapped the connection: %T", c)
		}
	})
	t.Run("unknown backlog", func(t *testing.T) {
		if p := newPriority(nil); p != nil {
			t.Fatal("a Priority without a way to know the backlog")
		}
	})
}

// A bulk reader waiting for a catch-up that does not come goes on after
// the wait's bound (the server has sent all it had, or waits for the
// window), and then reads idleBurst unpaced, or until the connection
// reads again.
func TestPriorityIdleConnection(t *testing.T) {
	l := newPriorityLab(t)
	l.p.wait = 50 * time.Millisecond
	defer l.p.Terminal()()
	l.p.typed(1)
	src := &countingReader{}
	start := time.Now()
	select {
	case <-readInBackground(l.p.Bulk(src), 100):
	case <-time.After(5 * time.Second):
		t.Fatalf("bulk reads stuck with no catch-up (%d of 100 done)", src.reads.Load())
	}
	if waited := time.Since(start); waited >= 99*l.p.wait {
		t.Fatalf("100 reads on an idle connection took %v: a wait per chunk, not one per %d KiB", waited, idleBurst>>10)
	}

	// Once the connection reads again, the reader is paced again.
	l.p.wait = time.Hour
	b := l.p.Bulk(src).(*bulkReader)
	b.Read(make([]byte, bulkChunk))
	b.idleLeft, b.idleAt = idleBurst, l.p.reads.Load()
	l.backlog.Store(1)
	l.conn.Read(make([]byte, 1))
	before := src.reads.Load()
	done := readInBackground(b, 1)
	sshtest.WaitFor(t, "the bulk reader waits once the connection has read", func() bool { return l.p.waiting.Load() == 1 })
	if got := src.reads.Load() - before; got != 0 {
		t.Fatalf("%d reads after the connection read; want none until it catches up", got)
	}
	l.backlog.Store(0)
	l.conn.Read(make([]byte, 1))
	<-done
}

// dialOver logs in to an in-process server over the connection pipe
// makes, and returns the upstream.
func dialOver(t *testing.T, pipe func() (client, server net.Conn)) *Upstream {
	t.Helper()
	host := sshtest.NewKey(t)
	knownHosts := filepath.Join(t.TempDir(), "known_hosts")
	writeLines(t, knownHosts, knownHostsEntry("example.com", host.PublicKey()))
	d := loginOnlyDialer(knownHosts, pipe, func() []ssh.Signer { return []ssh.Signer{host} })
	up, err := d.Dial(context.Background())
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	t.Cleanup(func() { up.Conn.Close() })
	return up
}

// A connection over a socket gets a Priority; one whose unread bytes
// cannot be counted (an in-memory pipe, as a channel through another
// master) gets none.
func TestDialPriority(t *testing.T) {
	up := dialOver(t, func() (net.Conn, net.Conn) { return sshtest.TCPPair(t) })
	switch runtime.GOOS {
	case "linux", "darwin":
		if up.Priority == nil {
			t.Error("an upstream over TCP has no Priority")
		}
	default: // FIONREAD is asked on Linux and Darwin only (sysio.Unread)
		if up.Priority != nil {
			t.Errorf("an upstream over TCP on %s has a Priority", runtime.GOOS)
		}
	}
	if up := dialOver(t, net.Pipe); up.Priority != nil {
		t.Error("an upstream over an in-memory pipe has a Priority")
	}
}
