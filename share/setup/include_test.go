package setup

import (
	"strings"
	"testing"
)

func TestIncludeRoundTrip(t *testing.T) {
	ref := "~/.ssh/sshshare/config"
	head := Marker + "\n" + IncludeLine(ref) + "\n"
	for _, tt := range []struct{ name, in string }{
		{"empty", ""},
		{"no final newline", "Host a\n  User b"},
		{"comment on top", "# my config\nInclude ~/.ssh/conf.d/*\nHost *\n  ControlMaster auto\n"},
		{"crlf", "Host a\r\n  User b\r\n"},
		{"own Include kept", "Include ~/.ssh/sshshare/config\nHost a\n"},
		{"blank lines", "\n\n\nHost a\n\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			added := AddInclude([]byte(tt.in), ref, false)
			eol := "\n"
			if strings.HasPrefix(tt.in, "Host a\r\n") {
				eol = "\r\n"
			}
			if want := strings.ReplaceAll(head, "\n", eol) + tt.in; string(added) != want {
				t.Errorf("AddInclude = %q; want %q", added, want)
			}
			if !HasInclude(added, ref) {
				t.Errorf("HasInclude(%q) = false", added)
			}
			if again := AddInclude(added, ref, false); string(again) != string(added) {
				t.Errorf("AddInclude twice = %q; want %q", again, added)
			}
			if back := RemoveInclude(added); string(back) != tt.in {
				t.Errorf("RemoveInclude = %q; want the original %q", back, tt.in)
			}
		})
	}
}

func TestAddIncludeMovesToTop(t *testing.T) {
	ref := "/h/.ssh/sshshare/config"
	in := "Host a\n" + Marker + "\n" + IncludeLine(ref) + "\n  User b\n"
	want := Marker + "\n" + IncludeLine(ref) + "\nHost a\n  User b\n"
	if got := string(AddInclude([]byte(in), ref, false)); got != want {
		t.Errorf("AddInclude = %q; want %q", got, want)
	}
}

func TestIncludeLineQuotes(t *testing.T) {
	if got, want := IncludeLine("/home/a b/.ssh/sshshare/config"), `Include "/home/a b/.ssh/sshshare/config"`; got != want {
		t.Errorf("IncludeLine = %q; want %q", got, want)
	}
}

func TestCheckParsable(t *testing.T) {
	for _, ok := range []string{"", "Host a\n", `ProxyCommand sh -c "x 'y' z"` + "\n", "# it's a comment\n", "Host a # it's\n", `User a\"b` + "\n"} {
		if err := CheckParsable([]byte(ok)); err != nil {
			t.Errorf("CheckParsable(%q) = %v; want nil", ok, err)
		}
	}
	for _, bad := range []string{"Host a\x00\n", "Host a\nProxyCommand sh -c \"x\n", "IdentityFile 'a\n"} {
		if err := CheckParsable([]byte(bad)); err == nil {
			t.Errorf("CheckParsable(%q) = nil; want an error", bad)
		}
	}
}

func TestAddIncludeCreated(t *testing.T) {
	ref := "~/.ssh/sshshare/config"
	added := AddInclude(nil, ref, true)
	if want := CreatedMarker + "\n" + IncludeLine(ref) + "\n"; string(added) != want || !Created(added) {
		t.Errorf("AddInclude(created) = %q; want %q", added, want)
	}
	if again := AddInclude(added, ref, false); string(again) != string(added) {
		t.Errorf("AddInclude again = %q; want the created mark kept: %q", again, added)
	}
	if back := RemoveInclude(added); len(back) != 0 {
		t.Errorf("RemoveInclude = %q; want nothing", back)
	}
}
