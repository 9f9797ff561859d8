package tokens

import (
	"strings"
	"testing"
)

// FuzzExpand checks that Expand never panics on any template, that its
// errors say something, that it is deterministic, and that text with
// nothing to expand comes back unchanged: as is without a %, and from its
// %-escaped form with one. Seeds are in testdata/fuzz/FuzzExpand.
func FuzzExpand(f *testing.F) {
	f.Setenv("SSHSHARE_FUZZ", "/fuzz%r${SSHSHARE_FUZZ}")
	f.Fuzz(func(t *testing.T, template string) {
		got, err := Expand(template, testValues)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("Expand(%q): got an empty error message", template)
			}
		} else if strings.IndexByte(got, 0) >= 0 {
			t.Fatalf("Expand(%q): got %q; want no NUL byte", template, got)
		}
		again, err2 := Expand(template, testValues)
		if again != got || (err == nil) != (err2 == nil) {
			t.Fatalf("Expand(%q) twice: got %q, %v then %q, %v; want the same", template, got, err, again, err2)
		}
		if !literal(template) {
			return
		}
		if !strings.Contains(template, "%") && (err != nil || got != template) {
			t.Fatalf("Expand(%q): got %q, %v; want it unchanged", template, got, err)
		}
		escaped := strings.ReplaceAll(template, "%", "%%")
		if got, err := Expand(escaped, testValues); err != nil || got != template {
			t.Fatalf("Expand(%q): got %q, %v; want %q", escaped, got, err, template)
		}
	})
}

// literal reports whether template has nothing Expand would replace once
// its % signs are doubled: no leading ~, no ${, no NUL. With no % either,
// it expands to itself.
func literal(template string) bool {
	return !strings.HasPrefix(template, "~") &&
		!strings.Contains(template, "${") &&
		!strings.ContainsRune(template, 0)
}
