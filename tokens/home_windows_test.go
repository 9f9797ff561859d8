package tokens

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLocalHomeIsProfile: ~ and %d are the user's profile directory, the
// %USERPROFILE% Win32-OpenSSH reads ~ as, and a ControlPath under ~ lands
// in its .ssh.
func TestLocalHomeIsProfile(t *testing.T) {
	profile := os.Getenv("USERPROFILE")
	if profile == "" {
		t.Skip("no USERPROFILE")
	}
	v, err := Local("bob", "example.com", "22", "web")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.EqualFold(filepath.Clean(v.Home), filepath.Clean(profile)) {
		t.Errorf("Home = %q; want %%USERPROFILE%% %q", v.Home, profile)
	}
	got, err := Expand("~/.ssh/sshshare/%d-%r@%h", v)
	if err != nil {
		t.Fatal(err)
	}
	if want := v.Home + "/.ssh/sshshare/" + v.Home + "-bob@example.com"; got != want {
		t.Errorf("Expand = %q; want %q", got, want)
	}
}
