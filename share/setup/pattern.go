package setup

import (
	"fmt"
	"strings"
	"unicode"
)

// ValidatePattern checks one Host pattern as it will be written on the
// Host line: non-empty, one word, and nothing that would end the line,
// start a comment or open a quote there. A pattern comes from the command
// line and lands in a file ssh reads, so no newline, white space, control
// character, `#`, quote or backslash can smuggle another keyword in.
func ValidatePattern(p string) error {
	if p == "" {
		return fmt.Errorf("empty host pattern")
	}
	for _, r := range p {
		switch {
		case unicode.IsSpace(r):
			return fmt.Errorf("host pattern %q holds white space: give each pattern as its own argument", p)
		case unicode.IsControl(r) || r == unicode.ReplacementChar:
			return fmt.Errorf("host pattern %q holds a control character", p)
		case strings.ContainsRune("#\"'\\", r):
			return fmt.Errorf("host pattern %q holds %q, which ssh_config would not read as part of a pattern", p, r)
		}
	}
	if strings.Trim(p, "!") == "" {
		return fmt.Errorf("host pattern %q names no host", p)
	}
	return nil
}

// ValidatePatterns checks each pattern (see ValidatePattern).
func ValidatePatterns(patterns []string) error {
	for _, p := range patterns {
		if err := ValidatePattern(p); err != nil {
			return err
		}
	}
	return nil
}
