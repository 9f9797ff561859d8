package setup

import (
	"strings"
)

// Marker is the comment line above the Include line install adds: it is
// how uninstall recognises exactly what install wrote.
const Marker = "# added by sshshare config --install; remove with sshshare config --uninstall"

// CreatedMarker is Marker in a file install created: uninstall removes
// the file again when nothing else was added to it.
const CreatedMarker = "# added by sshshare config --install, which created this file; remove with sshshare config --uninstall"

// IncludeLine is the Include line for sshshare's config file at ref (a
// path as ssh reads it, such as ~/.ssh/sshshare/config).
func IncludeLine(ref string) string { return "Include " + configArg(ref) }

// AddInclude returns content with Marker and the Include line for ref as
// its first two lines. An Include at the top of a file applies to every
// host, where one after a Host or Match line would apply only to that
// block's hosts; and being first, its keywords win. Lines a previous
// install added elsewhere are moved, not repeated, so adding twice gives
// the same bytes. The new lines end as the file's first line does ("\r\n"
// or "\n"). created marks the file as made for the Include
// (CreatedMarker); a mark already there stays.
func AddInclude(content []byte, ref string, created bool) []byte {
	rest := RemoveInclude(content)
	eol := lineEnding(rest)
	marker := Marker
	if created || Created(content) {
		marker = CreatedMarker
	}
	return []byte(marker + eol + IncludeLine(ref) + eol + string(rest))
}

// Created reports whether content holds CreatedMarker.
func Created(content []byte) bool {
	for _, line := range strings.SplitAfter(string(content), "\n") {
		if trimEOL(line) == CreatedMarker {
			return true
		}
	}
	return false
}

// RemoveInclude returns content without the lines AddInclude added: each
// Marker (or CreatedMarker) line, and the Include line right after it. Every other byte is
// kept, so removing what AddInclude added gives back the original bytes.
// An Include line without the marker is the user's and stays.
func RemoveInclude(content []byte) []byte {
	lines := strings.SplitAfter(string(content), "\n")
	var out strings.Builder
	for i := 0; i < len(lines); i++ {
		if !isMarker(lines[i]) {
			out.WriteString(lines[i])
			continue
		}
		if i+1 < len(lines) && isInclude(lines[i+1]) {
			i++
		}
	}
	return []byte(out.String())
}

// HasInclude reports whether content starts with the lines AddInclude
// writes for ref.
func HasInclude(content []byte, ref string) bool {
	lines := strings.SplitAfterN(string(content), "\n", 3)
	return len(lines) >= 2 && isMarker(lines[0]) && trimEOL(lines[1]) == IncludeLine(ref)
}

// isMarker reports whether line is Marker or CreatedMarker.
func isMarker(line string) bool {
	l := trimEOL(line)
	return l == Marker || l == CreatedMarker
}

// isInclude reports whether line is an Include line.
func isInclude(line string) bool {
	fields := strings.Fields(trimEOL(line))
	return len(fields) > 0 && strings.EqualFold(fields[0], "Include")
}

// trimEOL strips a line's "\n" or "\r\n".
func trimEOL(line string) string {
	return strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
}

// lineEnding is the line ending of content's first line: "\r\n" when it
// has one, else "\n".
func lineEnding(content []byte) string {
	first, _, found := strings.Cut(string(content), "\n")
	if found && strings.HasSuffix(first, "\r") {
		return "\r\n"
	}
	return "\n"
}
