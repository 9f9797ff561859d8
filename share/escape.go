package share

import (
	"bytes"
	"strings"
)

// Escape sequences in a mux session. Stock ssh with ControlPath hands its
// terminal to the master and sends what the user types nowhere itself, so
// the escape character (EscapeChar, ~ by default) is the master's to
// recognise, as OpenSSH's master does (clientloop.c process_escapes, the
// multiplexed-client variant): only right after a newline, and only the
// escapes that make sense for one session of a shared connection. ~R
// would rekey, and ~# list, the connection every other session shares,
// so they are refused with the ones OpenSSH refuses.

// escapeAction is what an escape sequence typed in a session asks of it.
type escapeAction int

const (
	escapeNone  escapeAction = iota
	escapeClose              // ~. : end this session
	escapeBreak              // ~B : send a break upstream
)

// notMuxEscapes are the escapes OpenSSH offers a session of its own but
// not one sharing a connection: each gets a line saying so, and nothing
// goes upstream. ^Z (suspend), C (command line), V and v (log level), &
// (background) are OpenSSH's list; R (rekey), # (channels) and I
// (connection info) are about the shared connection, not the session.
const notMuxEscapes = "\x1aCVv&R#I"

// escapeFilter finds escape sequences in what a session's user types. It
// keeps its state across reads, so a sequence split between two reads is
// still one; there is one per session.
type escapeFilter struct {
	char byte // the escape character; 0: none, the filter passes all through
	// afterNewline: the last byte sent was \r or \n (or none was sent
	// yet), so an escape character here starts a sequence. OpenSSH calls
	// it last_was_cr and keeps one for all sessions; this is per session.
	afterNewline bool
	pending      bool // an escape character began a sequence that the next byte ends
	closed       bool // ~. was typed: the session is ending and takes no more input
}

// newEscapeFilter returns a filter for the escape character char (0: no
// escape character), at the start of a line.
func newEscapeFilter(char byte) *escapeFilter {
	return &escapeFilter{char: char, afterNewline: true}
}

// filter takes bytes read from the user's terminal and returns the bytes
// to send upstream, text to write on the user's terminal (stderr fd), and
// the action an escape asked for. After escapeClose the rest of in is
// dropped, and so is everything in later calls. Two escapes in one read
// (a paste) both print their lines; ~. wins over ~B, and two ~B ask for
// one break. out may share in's memory.
func (f *escapeFilter) filter(in []byte) (out []byte, msg string, act escapeAction) {
	if f.closed {
		return nil, "", escapeNone
	}
	if f.char == 0 {
		return in, "", escapeNone
	}
	if !f.pending && bytes.IndexByte(in, f.char) < 0 {
		if len(in) > 0 {
			f.afterNewline = isNewline(in[len(in)-1])
		}
		return in, "", escapeNone
	}
	return f.scan(in)
}

// scan is filter's byte-by-byte path, for input with an escape character
// in it or a sequence pending from the last read.
func (f *escapeFilter) scan(in []byte) (out []byte, msg string, act escapeAction) {
	out = make([]byte, 0, len(in)+1)
	var text strings.Builder
	for _, c := range in {
		if f.pending {
			f.pending = false
			switch {
			case c == '.':
				text.WriteString(f.echo(c))
				f.closed = true
				return out, text.String(), escapeClose
			case c == 'B':
				text.WriteString(f.echo(c))
				act = escapeBreak
				continue
			case c == '?':
				text.WriteString(f.help())
				continue
			case strings.IndexByte(notMuxEscapes, c) >= 0:
				text.WriteString(f.notAvailable(c))
				continue
			case c != f.char:
				// Not an escape: the escape character goes as typed,
				// and c after it as any byte does. A doubled escape
				// character sends just one.
				out = append(out, f.char)
			}
		} else if f.afterNewline && c == f.char {
			f.pending = true
			continue
		}
		// A recognised escape leaves afterNewline as it was (true), so
		// escapes can follow one another.
		f.afterNewline = isNewline(c)
		out = append(out, c)
	}
	return out, text.String(), act
}

// isNewline reports whether c ends a line for the escape character.
func isNewline(c byte) bool { return c == '\r' || c == '\n' }

// echo is the line an escape that acts prints: the escape as typed.
func (f *escapeFilter) echo(c byte) string {
	return string([]byte{f.char, c}) + "\r\n"
}

// escape is the escape character as a string, byte for byte (string(c)
// would UTF-8 encode a byte past 0x7f).
func (f *escapeFilter) escape() string { return string([]byte{f.char}) }

// notAvailable is the line for an escape a multiplexed session lacks.
func (f *escapeFilter) notAvailable(c byte) string {
	name := string([]byte{c})
	if c == 'Z'-'@' {
		name = "^Z"
	}
	return f.escape() + name + " is not available to multiplexed sessions\r\n"
}

// help is ~?'s text: the escapes a multiplexed session has. The terminal
// is in raw mode, so lines end in \r\n.
func (f *escapeFilter) help() string {
	e := f.escape()
	lines := []string{
		e + "?",
		"Escape sequences of this multiplexed session:",
		" " + e + ".  - end the session",
		" " + e + "B  - send a break to the remote side",
		" " + e + "?  - show this help",
		" " + e + e + "  - send the escape character itself",
		"Other escapes (" + e + "^Z " + e + "C " + e + "V " + e + "v " + e + "& " + e + "R " + e + "# " + e + "I) are not available to multiplexed sessions.",
		"(Escapes are recognised only right after a newline.)",
	}
	return strings.Join(lines, "\r\n") + "\r\n"
}
