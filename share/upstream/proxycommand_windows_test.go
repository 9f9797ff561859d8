package upstream

import (
	"testing"
)

func TestFirstWord(t *testing.T) {
	for _, tt := range []struct{ line, want string }{
		{`C:\bin\nc.exe %h %p`, `C:\bin\nc.exe`},
		{`"C:\Program Files\nc.exe" %h %p`, `C:\Program Files\nc.exe`},
		{"  ssh.exe\t-W h:22 jump", "ssh.exe"},
		{"", ""},
	} {
		if got := firstWord(tt.line); got != tt.want {
			t.Errorf("firstWord(%q) = %q; want %q", tt.line, got, tt.want)
		}
	}
}
