package share

// escapeAction is what an escape sequence typed in a session asks of it.
type escapeAction int

const (
	escapeNone  escapeAction = iota
	escapeClose              // ~. : end this session
	escapeBreak              // ~B : send a break upstream
)

// escapeFilter finds escape sequences in what a session's user types
// (stub: ~. only).
type escapeFilter struct {
	char         byte
	afterNewline bool
	pending      bool
}

func newEscapeFilter(char byte) *escapeFilter { return &escapeFilter{char: char, afterNewline: true} }

// filter returns the bytes to send upstream, text for the user's
// terminal, and the action an escape asked for.
func (f *escapeFilter) filter(in []byte) (out []byte, msg string, act escapeAction) {
	for _, b := range in {
		if f.pending {
			f.pending = false
			if b == '.' {
				return out, string(f.char) + ".\r\n", escapeClose
			}
			out = append(out, f.char)
			if b == f.char {
				f.afterNewline = false
				continue
			}
		} else if f.afterNewline && b == f.char && f.char != 0 {
			f.pending = true
			continue
		}
		out = append(out, b)
		f.afterNewline = b == '\r' || b == '\n'
	}
	return out, "", escapeNone
}
