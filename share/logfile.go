package share

import (
	"fmt"
	"os"
	"sync"

	"github.com/sshshare/sshshare/share/sysio"
)

// MaxLogSize caps a master's log file; past it the log is moved to
// LOG.old (replacing the previous one) and started afresh, so a long-lived
// master never fills the disk.
const MaxLogSize = 1 << 20

// LogFile is a size-capped, append-only log file.
type LogFile struct {
	path string
	max  int64

	mu   sync.Mutex
	f    *os.File
	size int64
	// stderr makes the process's standard error follow the file across
	// rotations (CaptureStderr).
	stderr bool
}

// OpenLogFile opens (creating, mode 0600) the log at path, capped at max
// bytes.
func OpenLogFile(path string, max int64) (*LogFile, error) {
	l := &LogFile{path: path, max: max}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

// open opens the file for appending and learns its size.
func (l *LogFile) open() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open log: %w", err)
	}
	l.f, l.size = f, info.Size()
	if l.stderr {
		return sysio.RedirectStderr(f)
	}
	return nil
}

// CaptureStderr makes the log the process's standard error, now and after
// every rotation, so what the Go runtime prints when the process crashes
// (a panic, a fatal error, SIGQUIT's stacks) is kept beside the log lines.
// Such writes bypass the size cap until the next rotation.
func (l *LogFile) CaptureStderr() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stderr = true
	if err := sysio.RedirectStderr(l.f); err != nil {
		return fmt.Errorf("log standard error: %w", err)
	}
	return nil
}

// Write appends p, rotating first if p would pass the cap.
func (l *LogFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.size+int64(len(p)) > l.max && l.size > 0 {
		if err := l.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := l.f.Write(p)
	l.size += int64(n)
	return n, err
}

// rotate moves the log aside and starts a new one.
func (l *LogFile) rotate() error {
	l.f.Close()
	if err := os.Rename(l.path, RotatedLog(l.path)); err != nil {
		return fmt.Errorf("rotate log: %w", err)
	}
	return l.open()
}

// Close closes the file.
func (l *LogFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
}
