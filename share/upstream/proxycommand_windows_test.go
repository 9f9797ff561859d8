package upstream

import (
	"log/slog"
	"strings"
	"testing"
)

// TestStartCommandWindows: with no shell, as Win32-OpenSSH runs it, the
// line goes to the program as it stands, and an exit says why.
func TestStartCommandWindows(t *testing.T) {
	conn, err := startCommand(`C:\no\shell`, "exec cmd /c exit 3", slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = conn.Read(make([]byte, 1))
	if err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("read: %v; want the exit status", err)
	}
}

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
