package setup

import (
	"fmt"
	"strings"
)

// diffContext is how many unchanged lines a hunk shows around a change.
const diffContext = 3

// Diff returns a unified diff of old and new, named name, or "" when they
// are equal. It is one hunk around everything between the common first
// and last lines: install and uninstall change one place of a file, which
// this shows exactly.
func Diff(name string, old, new []byte) string {
	a, b := diffLines(old), diffLines(new)
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	if pre == len(a) && pre == len(b) {
		return ""
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	start := max(pre-diffContext, 0)
	endA := min(len(a)-suf+diffContext, len(a))
	endB := min(len(b)-suf+diffContext, len(b))
	var w strings.Builder
	fmt.Fprintf(&w, "--- %s\n+++ %s\n", name, name)
	fmt.Fprintf(&w, "@@ -%s +%s @@\n", hunkRange(start, endA), hunkRange(start, endB))
	for _, l := range a[start:pre] {
		w.WriteString(" " + l + "\n")
	}
	for _, l := range a[pre : len(a)-suf] {
		w.WriteString("-" + l + "\n")
	}
	for _, l := range b[pre : len(b)-suf] {
		w.WriteString("+" + l + "\n")
	}
	for _, l := range a[len(a)-suf : endA] {
		w.WriteString(" " + l + "\n")
	}
	return w.String()
}

// hunkRange is a unified diff's "start,count" for lines [from, to),
// numbered from 1 (an empty range names the line before it).
func hunkRange(from, to int) string {
	if to == from {
		return fmt.Sprintf("%d,0", from)
	}
	return fmt.Sprintf("%d,%d", from+1, to-from)
}

// diffLines are content's lines for a diff, without line endings.
func diffLines(content []byte) []string {
	lines := splitLines(content)
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}
