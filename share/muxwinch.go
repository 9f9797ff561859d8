package share

import (
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshshare/sshshare/share/sysio"
)

// Window changes of mux sessions. The user's terminal belongs to the
// client's ssh, which relays its SIGWINCH to the pid the master gave in
// MUX_S_ALIVE; the master then reads the size of every terminal session's
// stdin and sends window-change for those that changed. A client in
// another pid namespace cannot signal the master, so the sizes are also
// polled every winchPoll while a terminal session runs.

// winchPoll is how often terminal sizes are polled besides SIGWINCH.
const winchPoll = time.Second

// winchWatch follows the window sizes of a door's terminal sessions.
type winchWatch struct {
	log      *slog.Logger
	mu       sync.Mutex
	sessions map[*muxSession]bool
	wake     chan os.Signal
	quit     chan struct{}
	running  bool
	stopped  bool
}

func newWinchWatch(log *slog.Logger) *winchWatch {
	return &winchWatch{log: log, sessions: make(map[*muxSession]bool), wake: make(chan os.Signal, 1), quit: make(chan struct{})}
}

// add follows ms's terminal, starting the watch with the first session.
func (w *winchWatch) add(ms *muxSession) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ms.winsize = windowOf(ms.in)
	w.sessions[ms] = true
	if !w.running && !w.stopped {
		w.running = true
		if sig := winchSignal(); sig != nil {
			signal.Notify(w.wake, sig)
		}
		go w.loop()
	}
}

// remove stops following ms.
func (w *winchWatch) remove(ms *muxSession) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.sessions, ms)
}

// stop ends the watch.
func (w *winchWatch) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped {
		w.stopped = true
		close(w.quit)
	}
}

// loop checks the sizes on each signal and poll until stopped.
func (w *winchWatch) loop() {
	t := time.NewTicker(winchPoll)
	defer t.Stop()
	defer signal.Stop(w.wake)
	for {
		select {
		case <-w.quit:
			return
		case <-w.wake:
		case <-t.C:
		}
		w.check()
	}
}

// check sends window-change for each session whose terminal was resized.
func (w *winchWatch) check() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for ms := range w.sessions {
		size := windowOf(ms.in)
		if size == ms.winsize || size == [4]uint32{} {
			continue
		}
		ms.winsize = size
		msg := struct{ Columns, Rows, Width, Height uint32 }{size[0], size[1], size[2], size[3]}
		go ms.s.ch.SendRequest("window-change", false, ssh.Marshal(msg))
	}
}

// windowOf is the window size of a client's terminal, zero if unknown.
func windowOf(f *sysio.ClientFile) [4]uint32 {
	var size [4]uint32
	f.Control(func(fd uintptr) {
		size[0], size[1], size[2], size[3], _ = sysio.WindowSize(fd)
	})
	return size
}
