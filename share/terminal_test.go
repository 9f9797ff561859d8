package share

import (
	"context"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/sshtest"
	"github.com/sshshare/sshshare/share/upstream"
	"golang.org/x/crypto/ssh"
)

// TestPoolSplitsTerminals: once a terminal session is live on the only
// connection, the pool logs in once more in the background; the spare
// and sessions without a terminal go to the new connection, and the next
// terminal joins the first. Ending the terminal does not log in again.
func TestPoolSplitsTerminals(t *testing.T) {
	f := newPoolFixture(t, 10, ssh.Prohibited)
	f.pool.spares = true
	if _, ok := f.pool.openTerminal(); ok {
		t.Fatal("openTerminal found a terminal connection before any terminal")
	}
	tty, err := f.pool.openSession(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	go ssh.DiscardRequests(tty.reqs)
	f.pool.terminalOpened(tty.conn)
	sshtest.WaitFor(t, "the login for sessions without a terminal", func() bool { return f.pool.size() == 2 })
	sshtest.WaitFor(t, "the spare on the new connection", func() bool {
		f.pool.mu.Lock()
		defer f.pool.mu.Unlock()
		return f.pool.spare != nil && f.pool.spare.uc == f.pool.conns[1]
	})

	plain, err := f.pool.openSession(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	go ssh.DiscardRequests(plain.reqs)
	if plain.conn == tty.conn {
		t.Error("a session without a terminal went to the terminal's connection")
	}
	second, ok := f.pool.openTerminal()
	if !ok {
		t.Fatal("openTerminal: no session on the terminal's connection")
	}
	go ssh.DiscardRequests(second.reqs)
	if second.conn != tty.conn {
		t.Error("a second terminal went to the connection without terminals")
	}

	f.pool.terminalClosed(tty.conn)
	f.pool.terminalOpened(tty.conn)
	if got := f.dials.Load(); got != 1 {
		t.Errorf("logins: got %d; want 1 (the connection without terminals is there)", got)
	}
}

// TestPoolTerminalLoginNeedsPrompt: where the extra login would need an
// answer, the pool does not log in, tries no more, and sessions share the
// one connection as before.
func TestPoolTerminalLoginNeedsPrompt(t *testing.T) {
	primary, _ := newLimitedUpstream(t, 10, ssh.Prohibited)
	dials := make(chan struct{}, 10)
	dial := func(context.Context) (*upstream.Upstream, error) {
		dials <- struct{}{}
		return nil, upstream.ErrNoPrompter
	}
	p := newPool(primary, dial, func(*upConn) {}, sshtest.DiscardLogger())
	p.spares = true
	t.Cleanup(p.Close)
	p.terminalOpened(primary.Conn)
	sshtest.RecvWithin(t, dials, 5*time.Second, "the login attempt")
	sshtest.WaitFor(t, "the pool to give up", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.quiet.never && !p.quiet.dialing
	})
	p.terminalClosed(primary.Conn)
	p.terminalOpened(primary.Conn)
	if len(dials) != 0 {
		t.Errorf("the pool logged in again after a login that needed an answer")
	}
	s, err := p.openSession(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.conn != primary.Conn {
		t.Error("a session went elsewhere than the one connection")
	}
}
