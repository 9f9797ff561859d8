// Package vis makes text that came from the network safe to print on the
// user's terminal, as OpenSSH's strnvis(3) (VIS_SAFE|VIS_OCTAL) does for
// what ssh itself prints. A server, a bastion or a master can put escape
// sequences in the text sshshare shows (a refusal's message, a login
// question, a status line); printed raw, an OSC or CSI sequence could
// retitle the terminal, erase the line and write a fake one in its
// place. Every such string goes through Text or Line before it is
// printed. The bytes of a shared SSH session are not sshshare's to
// change: ssh prints those, with its own checks.
package vis

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text returns s safe to print: printable characters (UTF-8 included),
// tabs and newlines are kept; every other byte (C0 and C1 controls,
// carriage return and backspace among them, DEL, invalid UTF-8, and
// Unicode format characters such as bidirectional overrides) is written
// as a backslash and three octal digits, as vis does, and a backslash
// as two, so the escapes cannot be forged.
func Text(s string) string { return escape(s, "\t\n") }

// Line is Text for one line (an error, a table cell): tabs and newlines
// are escaped too, so the text can neither start a line that looks like
// sshshare's own nor break a table's columns.
func Line(s string) string { return escape(s, "") }

// escape writes s with the bytes of every unsafe character escaped;
// characters in keep are safe.
func escape(s, keep string) string {
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !safe(r, size, keep) {
			break
		}
		i += size
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case safe(r, size, keep):
			b.WriteString(s[i : i+size])
		default:
			for _, c := range []byte(s[i : i+size]) {
				b.WriteByte('\\')
				b.WriteByte('0' + c>>6)
				b.WriteByte('0' + c>>3&7)
				b.WriteByte('0' + c&7)
			}
		}
		i += size
	}
	return b.String()
}

// safe reports whether the character r, size bytes long, prints as
// itself.
func safe(r rune, size int, keep string) bool {
	switch {
	case r == utf8.RuneError && size == 1:
		return false // a byte that is not UTF-8
	case r == '\\':
		return false
	case r < utf8.RuneSelf:
		return r >= ' ' && r < 0x7f || strings.ContainsRune(keep, r)
	}
	return unicode.IsPrint(r)
}
