package share

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/sshshare/sshshare/share/sysio"
)

// RotatedLog is where a LogFile moves its log when it rotates (see
// MaxLogSize): one generation is kept.
func RotatedLog(path string) string { return path + ".old" }

// LogPoll is how often TailLog looks for new lines when it follows.
const LogPoll = 200 * time.Millisecond

// TailLog calls emit with the last n lines of the log at path, taking
// them from the rotated log first when the current one holds fewer. With
// follow it then calls emit with each line appended, across rotations, as
// tail -F does, until ctx ends; it returns nil then. Lines are given
// without their newline, as the log holds them: what a master logged may
// quote a server, so the caller escapes them before printing.
func TailLog(ctx context.Context, path string, n int, follow bool, emit func(line string)) error {
	f, err := sysio.OpenShared(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("open log: %w", err)
	}
	t := &logTail{path: path, f: f, emit: emit}
	defer t.close()
	if err := t.last(n); err != nil {
		return err
	}
	if !follow {
		return nil
	}
	tick := time.NewTicker(LogPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if err := t.more(); err != nil {
			return err
		}
	}
}

// logTail is a log being read: the file open now (nil until it exists)
// and the start of a line not yet ended.
type logTail struct {
	path    string
	f       *os.File
	partial []byte
	emit    func(string)
}

// last emits the last n lines of the current and rotated logs.
func (t *logTail) last(n int) error {
	var cur []byte
	if t.f != nil {
		var err error
		if cur, err = io.ReadAll(t.f); err != nil {
			return fmt.Errorf("read log: %w", err)
		}
	}
	lines, partial := splitLines(cur)
	if len(lines) < n {
		old, err := os.ReadFile(RotatedLog(t.path))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("read rotated log: %w", err)
		}
		if t.f == nil && err != nil {
			return fmt.Errorf("no log at %s", t.path)
		}
		oldLines, oldPartial := splitLines(old)
		if len(oldPartial) > 0 {
			oldLines = append(oldLines, string(oldPartial)) // cut short by the rotation
		}
		lines = append(oldLines, lines...)
	}
	for _, l := range lines[max(0, len(lines)-n):] {
		t.emit(l)
	}
	t.partial = partial
	return nil
}

// more emits the lines appended since, and moves to the new log when the
// one open has been rotated away, once its last lines are read.
func (t *logTail) more() error {
	if t.f != nil {
		if err := t.drain(); err != nil {
			return err
		}
		if now, err := os.Stat(t.path); err == nil {
			if was, err := t.f.Stat(); err == nil && os.SameFile(now, was) {
				return nil
			}
		}
		if err := t.drain(); err != nil { // written just before the rotation
			return err
		}
		t.close()
	}
	f, err := sysio.OpenShared(t.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // not started afresh yet
	}
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	t.f = f
	return t.drain()
}

// drain emits the complete lines from the open file's read offset to its
// end.
func (t *logTail) drain() error {
	b, err := io.ReadAll(t.f)
	if err != nil {
		return fmt.Errorf("read log: %w", err)
	}
	lines, partial := splitLines(append(t.partial, b...))
	for _, l := range lines {
		t.emit(l)
	}
	t.partial = partial
	return nil
}

// close closes the open file, and emits a line it left unended.
func (t *logTail) close() {
	if t.f == nil {
		return
	}
	t.f.Close()
	t.f = nil
	if len(t.partial) > 0 {
		t.emit(string(t.partial))
		t.partial = nil
	}
}

// splitLines splits b into its complete lines and what follows the last
// newline.
func splitLines(b []byte) (lines []string, partial []byte) {
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return lines, bytes.Clone(b)
		}
		lines = append(lines, string(b[:i]))
		b = b[i+1:]
	}
}
