package upstream

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// engineStderr takes what the engine ssh prints on its stderr, line by
// line: each is logged; until the login is made, each also goes to the
// stderr of the ssh that started the master (when it lent it), the
// "Permanently added" line to the login's notes, and the last lines are
// kept to say why a login failed. ssh prints no answer of the user's
// there: those go through the askpass relay.
//
// When the master raised ssh's LogLevel to DEBUG1 (debug), only to learn
// the key the server accepted, the debug lines are dropped after that one
// is read: ssh at the user's level would not have printed them.
type engineStderr struct {
	log      *slog.Logger
	out      io.Writer    // the starting ssh's stderr, or nil
	note     func(string) // the login's notes
	debug    bool         // drop "debugN:" lines
	mu       sync.Mutex
	line     []byte // the current line's start
	lines    []string
	unasked  []string // lines since the last question (see preface)
	after    bool     // logged in: lines go to the log only
	identity string   // the accepted key, from "Server accepts key:"
	hostKey  string   // the server's key, from "Server host key:"
}

// maxEngineLine caps a line of the engine ssh's stderr as kept.
const maxEngineLine = 4096

func newEngineStderr(log *slog.Logger, out io.Writer, note func(string), debug bool) *engineStderr {
	return &engineStderr{log: log, out: out, note: note, debug: debug}
}

// Write takes the next bytes of ssh's stderr. exec.Cmd copies the pipe
// into it, and its Wait returns once every byte has been written.
func (s *engineStderr) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
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
	if s.debug && isDebugLine(line) {
		if id := acceptedKey(line); id != "" {
			s.identity = id
		}
		if key, ok := strings.CutPrefix(line, "debug1: Server host key: "); ok {
			s.hostKey = key
		}
		return
	}
	s.log.Info("engine ssh stderr", "line", line)
	if s.after {
		return
	}
	if s.out != nil {
		io.WriteString(s.out, line+"\n")
	} else if strings.HasPrefix(line, "Warning: Permanently added") && s.note != nil {
		s.note(line)
	}
	s.lines = append(s.lines[max(0, len(s.lines)-maxEngineLines+1):], line)
	if !strings.HasPrefix(line, "Warning: Permanently added") {
		s.unasked = append(s.unasked[max(0, len(s.unasked)-maxEngineLines+1):], line)
	}
}

// maxEngineLines is how many lines of the login's stderr are kept.
const maxEngineLines = 16

// preface takes the lines ssh printed since the last question: what it
// shows before asking (a keyboard-interactive round's name and
// instruction, the server's banner).
func (s *engineStderr) preface() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	lines := s.unasked
	s.unasked = nil
	return lines
}

// isDebugLine reports whether ssh printed line at a debug level.
func isDebugLine(line string) bool {
	return strings.HasPrefix(line, "debug1: ") || strings.HasPrefix(line, "debug2: ") || strings.HasPrefix(line, "debug3: ")
}

// acceptedKey reads ssh's "debug1: Server accepts key: NAME TYPE
// SHA256:FP [how]" as the Go engine's identity, "TYPE SHA256:FP"; "" for
// any other line. NAME may hold spaces, so the fields are read from the
// fingerprint.
func acceptedKey(line string) string {
	rest, ok := strings.CutPrefix(line, "debug1: Server accepts key: ")
	if !ok {
		return ""
	}
	fields := strings.Fields(rest)
	for i := len(fields) - 1; i > 0; i-- {
		if strings.HasPrefix(fields[i], "SHA256:") {
			if typ, ok := strings.CutSuffix(fields[i-1], "-CERT"); ok {
				return typ + " " + fields[i] + " certificate"
			}
			return fields[i-1] + " " + fields[i]
		}
	}
	return ""
}

// loggedIn sends later lines to the log only, and returns the accepted
// key, if ssh said.
func (s *engineStderr) loggedIn() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.after = true
	return s.identity
}

// hint is the fix ssh's lines point to, for a failed host key check.
func (s *engineStderr) hint() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, line := range s.lines {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "ssh-keygen -f "):
			return "if the host's key changed on purpose, remove the old one: " + line
		case strings.HasPrefix(line, "No ") && strings.Contains(line, "host key is known for"):
			return "check the host's key with its administrator, then add it to known_hosts (or use StrictHostKeyChecking accept-new)"
		}
	}
	return ""
}

// reason is why the login ended, from ssh's last line, with the line
// naming the host before a failed host key check.
func (s *engineStderr) reason() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.line) > 0 {
		s.flush()
	}
	if len(s.lines) == 0 {
		return ""
	}
	last := s.lines[len(s.lines)-1]
	if last != "Host key verification failed." || len(s.lines) < 2 {
		return last
	}
	// The line before says which key and why (changed, revoked, unknown);
	// for a changed key, ssh names the known_hosts line earlier.
	why := strings.TrimSuffix(s.lines[len(s.lines)-2], ".")
	if s.hostKey != "" {
		why += " (the server's key: " + s.hostKey + ")"
	}
	for _, line := range s.lines {
		if strings.HasPrefix(line, "Offending ") {
			why += " (" + line + ")"
		}
	}
	return why + ": " + last
}
