//go:build linux

package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/sshshare/sshshare/share/sshtest"

	"golang.org/x/sys/unix"
)

// pty is a pseudo-terminal opened directly, without tmux in between: the
// keystroke benchmark writes keys to its master side and times their echo
// there, so nothing but the path under test sits between the two.
type pty struct {
	master *os.File // nonblocking, on Go's poller, so Close ends a read
	slave  *os.File // ssh's terminal; closed here once ssh has it
	screen *screen
}

// openPTY opens a pseudo-terminal, puts its terminal side in raw mode at
// 80x24 (ssh does the same once it runs; before, a key would echo
// locally), and starts reading what the terminal shows.
func openPTY() (*pty, error) {
	master, slave, err := sshtest.PTY()
	if err != nil {
		return nil, err
	}
	if err := makeRaw(slave); err != nil {
		master.Close()
		slave.Close()
		return nil, err
	}
	p := &pty{master: master, slave: slave, screen: newScreen()}
	go p.screen.read(master)
	return p, nil
}

// makeRaw sets the terminal t to raw mode (cfmakeraw) and 80x24.
func makeRaw(t *os.File) error {
	rc, err := t.SyscallConn()
	if err != nil {
		return fmt.Errorf("pty: %w", err)
	}
	var ioctlErr error
	err = rc.Control(func(fd uintptr) {
		tio, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		if err != nil {
			ioctlErr = fmt.Errorf("get terminal modes: %w", err)
			return
		}
		tio.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		tio.Oflag &^= unix.OPOST
		tio.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		tio.Cflag &^= unix.CSIZE | unix.PARENB
		tio.Cflag |= unix.CS8
		tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 1, 0
		if err := unix.IoctlSetTermios(int(fd), unix.TCSETS, tio); err != nil {
			ioctlErr = fmt.Errorf("set terminal modes: %w", err)
			return
		}
		if err := unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: 80}); err != nil {
			ioctlErr = fmt.Errorf("set window size: %w", err)
		}
	})
	return errors.Join(err, ioctlErr)
}

// close closes both sides; the reader ends with the master.
func (p *pty) close() {
	p.slave.Close()
	p.master.Close()
	<-p.screen.done
}

// screen is what a pty's master side has read so far, with the time each
// read returned, so that an echo is timed when it arrived rather than when
// a waiter woke up.
type screen struct {
	mu      sync.Mutex
	buf     []byte
	reads   []arrival     // one per read, in order
	changed chan struct{} // a token after each read
	done    chan struct{} // closed when reading has ended
}

// arrival is one read: the bytes up to end had arrived at at.
type arrival struct {
	end int
	at  time.Time
}

func newScreen() *screen {
	return &screen{changed: make(chan struct{}, 1), done: make(chan struct{})}
}

// read reads f until it fails (the pty is closed, or every holder of its
// terminal side has gone), appending to the screen.
func (s *screen) read(f *os.File) {
	defer close(s.done)
	b := make([]byte, 4096)
	for {
		n, err := f.Read(b)
		at := time.Now()
		if n > 0 {
			s.mu.Lock()
			s.buf = append(s.buf, b[:n]...)
			s.reads = append(s.reads, arrival{len(s.buf), at})
			s.mu.Unlock()
			select {
			case s.changed <- struct{}{}:
			default:
			}
		}
		if err != nil {
			return
		}
	}
}

// len is how many bytes have been read so far.
func (s *screen) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.buf)
}

// waitFor waits until want appears in what was read from offset from on,
// and returns when the read that completed it returned.
func (s *screen) waitFor(from int, want []byte, timeout time.Duration) (time.Time, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if at, ok := s.find(from, want); ok {
			return at, nil
		}
		select {
		case <-s.changed:
		case <-s.done:
			if at, ok := s.find(from, want); ok {
				return at, nil
			}
			return time.Time{}, fmt.Errorf("terminal closed before %q appeared; it shows %q", want, s.tail(from))
		case <-deadline.C:
			return time.Time{}, fmt.Errorf("%q did not appear within %v; the terminal shows %q", want, timeout, s.tail(from))
		}
	}
}

// find looks for want at or after from.
func (s *screen) find(from int, want []byte) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := bytes.Index(s.buf[min(from, len(s.buf)):], want)
	if i < 0 {
		return time.Time{}, false
	}
	end := from + i + len(want)
	for _, r := range s.reads {
		if r.end >= end {
			return r.at, true
		}
	}
	return time.Time{}, false // not reached: the reads cover the buffer
}

// tail is what was read from offset from on, at most 200 bytes of it.
func (s *screen) tail(from int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.buf[min(from, len(s.buf)):]
	if len(t) > 200 {
		t = t[len(t)-200:]
	}
	return string(t)
}
