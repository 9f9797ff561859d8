package sshtest

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// PTY opens a pseudo-terminal: its controlling side (ptm, on Go's poller,
// so Close ends a read) and the terminal itself (tty), as a user's
// terminal would be.
func PTY() (ptm, tty *os.File, err error) {
	ptm, err = os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open /dev/ptmx: %w", err)
	}
	n, err := unlockPTY(ptm)
	if err != nil {
		ptm.Close()
		return nil, nil, err
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		ptm.Close()
		return nil, nil, fmt.Errorf("open /dev/pts/%d: %w", n, err)
	}
	return ptm, tty, nil
}

// OpenPTY is PTY for a test, which it skips where the system has no
// pseudo-terminals; both sides are closed when the test ends.
func OpenPTY(tb testing.TB) (ptm, tty *os.File) {
	tb.Helper()
	ptm, tty, err := PTY()
	if err != nil {
		tb.Skipf("no pseudo-terminal: %v", err)
	}
	tb.Cleanup(func() {
		ptm.Close()
		tty.Close()
	})
	return ptm, tty
}

// unlockPTY unlocks the terminal side of the pty master m and returns its
// number, N in /dev/pts/N. It goes through SyscallConn: File.Fd would put
// m back in blocking mode.
func unlockPTY(m *os.File) (int, error) {
	rc, err := m.SyscallConn()
	if err != nil {
		return 0, fmt.Errorf("pty: %w", err)
	}
	var n int
	var ioctlErr error
	err = rc.Control(func(fd uintptr) {
		if ioctlErr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); ioctlErr != nil {
			ioctlErr = fmt.Errorf("unlock pty: %w", ioctlErr)
			return
		}
		if n, ioctlErr = unix.IoctlGetInt(int(fd), unix.TIOCGPTN); ioctlErr != nil {
			ioctlErr = fmt.Errorf("pty number: %w", ioctlErr)
		}
	})
	return n, errors.Join(err, ioctlErr)
}
