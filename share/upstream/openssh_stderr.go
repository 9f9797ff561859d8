package upstream

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// engineStderr takes what the engine ssh prints on its stderr: each line
// is logged; until the login is made, each also goes to the stderr of the
// ssh that started the master (when it lent it), the "Permanently added"
// line to the login's notes, and the last line is kept to say why a login
// failed. ssh prints no answer of the user's there: those go through the
// askpass relay.
type engineStderr struct {
	log   *slog.Logger
	out   io.Writer    // the starting ssh's stderr, or nil
	note  func(string) // the login's notes
	mu    sync.Mutex
	line  []byte // the current line's start
	lines []string
	after bool // logged in: lines go to the log only
}

// maxEngineLine caps a line of the engine ssh's stderr as kept.
const maxEngineLine = 4096

func newEngineStderr(log *slog.Logger, out io.Writer, note func(string)) *engineStderr {
	return &engineStderr{log: log, out: out, note: note}
}

// Write takes the next bytes of ssh's stderr. exec.Cmd copies the pipe
// into it, and its Wait returns once every byte has been written.
func (s *engineStderr) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.after && s.out != nil {
		s.out.Write(p)
	}
	rest := p
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			s.hold(rest)
			break
		}
		s.hold(rest[:i])
		s.flush()
		rest = rest[i+1:]
	}
	return len(p), nil
}

// hold adds to the current line, up to maxEngineLine.
func (s *engineStderr) hold(p []byte) {
	room := maxEngineLine - len(s.line)
	s.line = append(s.line, p[:min(room, len(p))]...)
}

// flush ends the current line.
func (s *engineStderr) flush() {
	line := strings.TrimRight(string(s.line), "\r")
	s.line = s.line[:0]
	if line == "" {
		return
	}
	s.log.Info("engine ssh stderr", "line", line)
	if s.after {
		return
	}
	if strings.HasPrefix(line, "Warning: Permanently added") && s.note != nil && s.out == nil {
		s.note(line)
	}
	s.lines = append(s.lines[max(0, len(s.lines)-3):], line)
}

// loggedIn sends later lines to the log only.
func (s *engineStderr) loggedIn() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.after = true
}

// last is ssh's last line before the login ended: its reason.
func (s *engineStderr) last() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.line) > 0 {
		s.flush()
	}
	if len(s.lines) == 0 {
		return ""
	}
	return s.lines[len(s.lines)-1]
}
