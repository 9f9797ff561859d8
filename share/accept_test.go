package share

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/sshtest"
)

// flakyListener fails its first accepts with errs, then accepts conns,
// then reports itself closed.
type flakyListener struct {
	errs  []error
	conns []net.Conn
}

func (l *flakyListener) Accept() (net.Conn, error) {
	if len(l.errs) > 0 {
		err := l.errs[0]
		l.errs = l.errs[1:]
		return nil, err
	}
	if len(l.conns) > 0 {
		c := l.conns[0]
		l.conns = l.conns[1:]
		return c, nil
	}
	return nil, net.ErrClosed
}

// acceptErr is an Accept failure as the net package reports it.
func acceptErr(errno syscall.Errno) error {
	return &net.OpError{Op: "accept", Net: "unix", Err: os.NewSyscallError("accept4", errno)}
}

// TestAcceptLoopRetriesTemporaryErrors: out of descriptors (EMFILE) a few
// times, the loop backs off (5 ms doubling) and goes on accepting.
func TestAcceptLoopRetriesTemporaryErrors(t *testing.T) {
	a, _ := net.Pipe()
	ln := &flakyListener{errs: []error{acceptErr(syscall.EMFILE), acceptErr(syscall.EMFILE), acceptErr(syscall.ENFILE)},
		conns: []net.Conn{a}}
	slots := make(chan struct{}, 4)
	var served int
	start := time.Now()
	err := acceptLoop(context.Background(), ln, slots, sshtest.DiscardLogger(), func(c net.Conn, release func()) {
		served++
		release()
		release() // any number of times
	})
	if err != nil || served != 1 {
		t.Fatalf("acceptLoop: got %v, %d served; want nil, 1", err, served)
	}
	if took := time.Since(start); took < 35*time.Millisecond {
		t.Errorf("three failures retried within %v; want back-offs of 5, 10 and 20 ms", took)
	}
	if len(slots) != 0 {
		t.Errorf("slots taken after the loop: %d; want 0", len(slots))
	}
}

// TestAcceptLoopEndsOnOtherErrors: an error that will not pass is
// returned, for the master to end.
func TestAcceptLoopEndsOnOtherErrors(t *testing.T) {
	ln := &flakyListener{errs: []error{acceptErr(syscall.EINVAL)}}
	err := acceptLoop(context.Background(), ln, make(chan struct{}, 1), sshtest.DiscardLogger(), func(net.Conn, func()) {
		t.Error("served a connection")
	})
	if !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("acceptLoop: got %v; want EINVAL", err)
	}
}

// TestAcceptLoopCapsUnauthenticated: with every slot held, the loop
// accepts nothing more until one is given back.
func TestAcceptLoopCapsUnauthenticated(t *testing.T) {
	var conns []net.Conn
	for range 3 {
		a, _ := net.Pipe()
		conns = append(conns, a)
	}
	ln := &flakyListener{conns: conns}
	slots := make(chan struct{}, 2)
	releases := make(chan func(), 3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- acceptLoop(ctx, ln, slots, sshtest.DiscardLogger(), func(_ net.Conn, release func()) { releases <- release })
	}()
	first := sshtest.RecvWithin(t, releases, 2*time.Second, "the first connection")
	sshtest.RecvWithin(t, releases, 2*time.Second, "the second connection")
	select {
	case <-releases:
		t.Fatal("a third connection was served while two held the two slots")
	case <-time.After(100 * time.Millisecond):
	}
	first()
	sshtest.RecvWithin(t, releases, 2*time.Second, "the third connection after a slot was given back")
	cancel()
	sshtest.RecvWithin(t, done, 2*time.Second, "the loop to end")
}
