package setup

import (
	"bytes"
	"fmt"
	"strings"
)

// CheckParsable refuses a config file that sshshare cannot read line by
// line as ssh does, and so must not edit: one holding a NUL byte, or a
// line whose quotes are not closed. ssh itself may still reject other
// things; the caller adds `ssh -G` as the final word.
func CheckParsable(content []byte) error {
	if i := bytes.IndexByte(content, 0); i >= 0 {
		return fmt.Errorf("line %d holds a NUL byte", bytes.Count(content[:i], []byte("\n"))+1)
	}
	for n, line := range splitLines(content) {
		if !quotesBalanced(line) {
			return fmt.Errorf("line %d has an unclosed quote", n+1)
		}
	}
	return nil
}

// quotesBalanced reports whether every quote a config line opens is
// closed, reading it as OpenSSH's argv_split does: double or single
// quotes, backslash escapes outside single quotes, `#` at the start of a
// word ending the line.
func quotesBalanced(line string) bool {
	var quote byte
	word := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && quote != '\'' && i+1 < len(line):
			i++
			word = true
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote, word = c, true
		case c == '#' && !word:
			return true
		case c == ' ' || c == '\t' || c == '=':
			word = false
		default:
			word = true
		}
	}
	return quote == 0
}

// splitLines splits content into lines without their "\n" (a final line
// without one included), each with any "\r" kept.
func splitLines(content []byte) []string {
	if len(content) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(content), "\n"), "\n")
}
