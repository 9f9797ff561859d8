package share

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// maxUnauthenticated caps the local connections a master serves that have
// not yet said what they want (a hello) or, to share, finished their SSH
// handshake: beyond it the master stops accepting, and new clients wait in
// the socket's backlog, holding none of its descriptors, until one of
// those ends (each is bounded by control.HelloTimeout and
// localHandshakeWait). Ample for a burst of ssh started at once.
const maxUnauthenticated = 256

// Accept back-off after a temporary failure (as net/http's Server.Serve).
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

// accepter is what acceptLoop accepts from: the master's listener.
type accepter interface {
	Accept() (net.Conn, error)
}

// acceptLoop hands the connections ln accepts to serve, each with a slot
// of slots taken, which serve gives back by calling its release (any
// number of times). It returns nil when ln is closed or ctx ends. A
// temporary failure (out of descriptors or buffers, an aborted
// connection) is logged and retried after a back-off, 5 ms doubling to
// 1 s; any other failure is returned, and the master must end, so that
// the next ssh starts a fresh one instead of waiting on a socket nobody
// accepts on.
func acceptLoop(ctx context.Context, ln accepter, slots chan struct{}, log *slog.Logger, serve func(conn net.Conn, release func())) error {
	var delay time.Duration
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		conn, err := ln.Accept()
		if err != nil {
			<-slots
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return nil
			}
			if !temporaryAccept(err) {
				return err
			}
			delay = min(max(2*delay, acceptBackoffMin), acceptBackoffMax)
			log.Warn("accept failed; retrying", "err", err, "in", delay)
			if !sleepCtx(ctx, delay) {
				return nil
			}
			continue
		}
		delay = 0
		serve(conn, sync.OnceFunc(func() { <-slots }))
		runtime.Gosched() // the connection's goroutine first: its client waits
	}
}

// temporaryAccept reports whether an Accept error may pass: the process or
// the system is short of descriptors or memory for now, or the client
// gave up before it was accepted.
func temporaryAccept(err error) bool {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM,
		syscall.ECONNABORTED, syscall.EINTR, syscall.EAGAIN} {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}

// sleepCtx sleeps for d, or until ctx ends; it reports whether it slept
// the whole time.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
