package share

import (
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sshshare/sshshare/share/upstream"
	"golang.org/x/crypto/ssh"
)

// end is one side of a bridged channel: the channel and its requests,
// and, if set, the reader its data is read through (see bridge.Prio).
type end struct {
	ch   ssh.Channel
	reqs <-chan *ssh.Request
	data io.Reader
}

// reader is what e's data is read through.
func (e end) reader() io.Reader {
	if e.data != nil {
		return e.data
	}
	return e.ch
}

// bridge joins a downstream channel (from a local ssh) to an upstream one
// (to sshd) so that each behaves as if it were directly connected to the
// other: data, extended data (stderr) and EOF both ways, channel requests
// both ways with want-reply answered from the other side.
//
// Close discipline (golang/go#29733): a side is closed only after the other
// side's data reached EOF and its request stream ended (the peer sent
// CLOSE), so exit-status and the last bytes always arrive.
type bridge struct {
	Down, Up end
	// OnRequest, if set, sees every downstream request before it is
	// forwarded (agent and X11 routing need to know who asked).
	OnRequest func(*ssh.Request)
	// Counters, if set, count bytes to the client (In) and from it (Out).
	In, Out *atomic.Int64
	// Lost, if set, is asked once the upstream side's data has ended: a
	// line it returns (the master gave up on the upstream connection) is
	// written on the client's stderr before its EOF, so ssh prints why
	// the session ended.
	Lost func() string
	// Hangup, if set, is called before the upstream side is closed when
	// the downstream side went first while the upstream's command runs: a
	// shell or exec was started (here, or before the bridge ran: Running)
	// and no exit-status or exit-signal has come back. ended is closed
	// when the upstream side has closed. See hangup.go.
	Hangup  func(up ssh.Channel, ended <-chan struct{})
	Running bool
	// Prio, if set, is the upstream connection's: a Terminal session
	// types there, and any other session's output yields to the typing
	// (see upstream.Priority).
	Prio     *upstream.Priority
	Terminal bool

	running atomic.Bool   // a shell or exec was relayed upstream
	exited  atomic.Bool   // the upstream sent exit-status or exit-signal
	upEnded chan struct{} // closed when the upstream's requests ended

	// downRelay and upRelay are held while a request from that side is
	// relayed and answered: a side is not closed under its own pending
	// request, or its peer would see the close before the answer (an exec
	// whose program exits at once fails with EOF in x/crypto's client).
	downRelay, upRelay sync.Mutex
}

// Run bridges until both channels are closed.
func (b *bridge) Run() {
	b.running.Store(b.Running)
	b.upEnded = make(chan struct{})
	up, down := b.Up, b.Down
	if b.Terminal {
		defer b.Prio.Terminal()()
		down.data = b.Prio.Keys(down.ch)
	} else {
		up.data = b.Prio.Bulk(up.ch)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		b.half(up, down, &b.upRelay, &b.downRelay, b.In, b.observeUp, func() { close(b.upEnded) }, b.Lost)
	}()
	go func() {
		defer wg.Done()
		b.half(down, up, &b.downRelay, &b.upRelay, b.Out, b.observeDown, b.hangupIfOrphaned, nil)
	}()
	wg.Wait()
}

// observeUp notes that the upstream's command has exited.
func (b *bridge) observeUp(req *ssh.Request) {
	if req.Type == "exit-status" || req.Type == "exit-signal" {
		b.exited.Store(true)
	}
}

// observeDown notes a command started upstream and passes the request
// to OnRequest.
func (b *bridge) observeDown(req *ssh.Request) {
	if req.Type == "shell" || req.Type == "exec" {
		b.running.Store(true)
	}
	if b.OnRequest != nil {
		b.OnRequest(req)
	}
}

// orphanGrace is how long a downstream side that went first waits for
// the upstream's exit to land before the command counts as orphaned: a
// client that has read the end of the output may close before the
// exit-status it came with has been seen here.
const orphanGrace = 200 * time.Millisecond

// hangupIfOrphaned runs Hangup when the downstream side has gone while
// the upstream's command still runs.
func (b *bridge) hangupIfOrphaned() {
	if b.Hangup == nil || !b.running.Load() {
		return
	}
	t := time.NewTimer(orphanGrace)
	defer t.Stop()
	select {
	case <-b.upEnded:
		return
	case <-t.C:
	}
	if !b.exited.Load() {
		b.Hangup(b.Up.ch, b.upEnded)
	}
}

// half moves everything from src to dst, then closes dst once src has
// finished both its data and its requests, srcDone has run, and dst's own
// request being relayed, if any, has been answered. last, if set, gives a
// line written on dst's stderr before its EOF (see bridge.Lost).
func (b *bridge) half(src, dst end, srcRelay, dstRelay *sync.Mutex, count *atomic.Int64, observe func(*ssh.Request), srcDone func(), last func() string) {
	done := make(chan struct{})
	go func() {
		copyData(dst.ch, src, count, last)
		close(done)
	}()
	forwardRequests(dst.ch, src.reqs, srcRelay, observe)
	<-done
	srcDone()
	// src has closed, so a request of dst's relayed to it is answered
	// (with EOF, at worst) without waiting on anyone.
	dstRelay.Lock()
	dst.ch.Close()
	dstRelay.Unlock()
}

// forwardRequests relays src's channel requests to dst in order, holding
// relay while each is relayed and answered.
func forwardRequests(dst ssh.Channel, reqs <-chan *ssh.Request, relay *sync.Mutex, observe func(*ssh.Request)) {
	for req := range reqs {
		if observe != nil {
			observe(req)
		}
		relay.Lock()
		ok, err := dst.SendRequest(req.Type, req.WantReply, req.Payload)
		if req.WantReply {
			req.Reply(ok && err == nil, nil)
		}
		relay.Unlock()
	}
}

// startsSession reports whether a session request starts the remote
// program, after which the session reads stdin.
func startsSession(reqType string) bool {
	switch reqType {
	case "shell", "exec", "subsystem":
		return true
	}
	return false
}

// copyData copies data and extended data from src to dst until src's
// EOF, then writes last's line, if any, on dst's stderr and sends EOF on
// dst (ssh drops a connection that sends extended data after EOF). Stderr
// is always drained, or a full window would stall the channel
// (golang/go#80333).
func copyData(dst ssh.Channel, src end, count *atomic.Int64, last func() string) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		copyCounted(dst.Stderr(), src.ch.Stderr(), count)
	}()
	copyCounted(dst, src.reader(), count)
	wg.Wait()
	if last != nil {
		if line := last(); line != "" {
			io.WriteString(dst.Stderr(), line)
		}
	}
	dst.CloseWrite()
}

// copyCounted is io.Copy that adds the bytes moved to count, if set. On a
// write error it keeps draining src so the peer never stalls on a window.
func copyCounted(dst io.Writer, src io.Reader, count *atomic.Int64) {
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if count != nil {
				count.Add(int64(n))
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				dst = io.Discard
			}
		}
		if err != nil {
			return
		}
	}
}
