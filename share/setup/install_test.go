package setup

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/sshtest"
)

// testFiles are Files under a temporary home, with its .ssh made.
func testFiles(t *testing.T) Files {
	t.Helper()
	home := t.TempDir()
	if err := os.Mkdir(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	block := filepath.Join(home, ".ssh", "sshshare", "config")
	return Files{
		Config:     filepath.Join(home, ".ssh", "config"),
		Block:      block,
		IncludeRef: block,
		Now:        time.Now,
	}
}

func TestInstallUninstallRoundTrip(t *testing.T) {
	f := testFiles(t)
	orig := "Include conf.d/*\nHost bastion\n  HostName b.example\nHost h1\n  ProxyJump bastion\nHost *\n  ControlMaster auto\n"
	if err := os.WriteFile(f.Config, []byte(orig), 0o640); err != nil {
		t.Fatal(err)
	}
	const block = "Host h*\n    ProxyCommand /bin/sshshare --alias %n %r %h %p\n"
	ch, err := Install(f, block)
	if err != nil {
		t.Fatalf("Install: %v", err)
	}
	if ch.ConfigDiff == "" || ch.BlockDiff == "" || ch.Backup == "" {
		t.Errorf("Install: %+v; want both diffs and a backup", ch)
	}
	got, _ := os.ReadFile(f.Config)
	if want := Marker + "\nInclude " + configArg(f.Block) + "\n" + orig; string(got) != want {
		t.Errorf("config after Install:\n%s\nwant:\n%s", got, want)
	}
	if b, _ := os.ReadFile(ch.Backup); string(b) != orig {
		t.Errorf("backup = %q; want %q", b, orig)
	}
	sshtest.WantMode(t, ch.Backup, 0o600)
	sshtest.WantMode(t, f.Block, 0o600)
	sshtest.WantMode(t, f.Config, 0o640)
	if again, err := Install(f, block); err != nil || again.Changed() {
		t.Errorf("second Install: %+v, %v; want no change", again, err)
	}
	ch, err = Uninstall(f)
	if err != nil || !ch.BlockRemoved || ch.ConfigDiff == "" {
		t.Fatalf("Uninstall: %+v, %v", ch, err)
	}
	if got, _ := os.ReadFile(f.Config); string(got) != orig {
		t.Errorf("config after Uninstall = %q; want the original %q", got, orig)
	}
	if _, err := os.Stat(f.Block); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("block after Uninstall: %v; want it gone", err)
	}
	if again, err := Uninstall(f); err != nil || again.Changed() {
		t.Errorf("second Uninstall: %+v, %v; want no change", again, err)
	}
}

func TestInstallCreatesConfig(t *testing.T) {
	f := testFiles(t)
	ch, err := Install(f, "Host h\n")
	if err != nil {
		t.Fatalf("Install: %v", err)
	}
	if ch.Backup != "" {
		t.Errorf("backup %s of a missing file", ch.Backup)
	}
	sshtest.WantMode(t, f.Config, 0o600)
	if again, err := Install(f, "Host h\n"); err != nil || again.Changed() {
		t.Errorf("second Install: %+v, %v; want no change", again, err)
	}
	ch, err = Uninstall(f)
	if err != nil || !ch.ConfigRemoved || !ch.BlockRemoved {
		t.Fatalf("Uninstall: %+v, %v; want both files removed", ch, err)
	}
	if exists(f.Config) {
		t.Errorf("config Install created is still there after Uninstall")
	}
}

func TestUninstallKeepsCreatedFileWithMore(t *testing.T) {
	f := testFiles(t)
	if _, err := Install(f, "Host h\n"); err != nil {
		t.Fatal(err)
	}
	content, _ := os.ReadFile(f.Config)
	if err := os.WriteFile(f.Config, append(content, "Host mine\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Uninstall(f); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(f.Config); string(got) != "Host mine\n" {
		t.Errorf("config after Uninstall = %q; want the user's line kept", got)
	}
}

func TestInstallNewBlockKeepsConfig(t *testing.T) {
	f := testFiles(t)
	if _, err := Install(f, "Host a\n"); err != nil {
		t.Fatal(err)
	}
	ch, err := Install(f, "Host a b\n")
	if err != nil {
		t.Fatal(err)
	}
	if ch.ConfigDiff != "" || !strings.Contains(ch.BlockDiff, "+Host a b") {
		t.Errorf("Install of a new block: %+v; want only the block changed", ch)
	}
}

func TestInstallThroughSymlink(t *testing.T) {
	sshtest.SkipOnWindows(t, "a symlink needs a privilege there, and Wine 8 shows a Unix symlink as a plain file")
	f := testFiles(t)
	real := filepath.Join(filepath.Dir(f.Config), "dotfiles-config")
	if err := os.WriteFile(real, []byte("Host a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, f.Config); err != nil {
		t.Fatal(err)
	}
	if _, err := Install(f, "Host h\n"); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Lstat(f.Config); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("config is no longer a symlink: %v", err)
	}
	if got, _ := os.ReadFile(real); !HasInclude(got, f.IncludeRef) {
		t.Errorf("linked file = %q; want the Include on top", got)
	}
}

func TestInstallRefusesUnreadable(t *testing.T) {
	for _, tt := range []struct {
		name, content string
		parses        func(string) error
	}{
		{"NUL byte", "Host a\x00\n", nil},
		{"unclosed quote", "Host a\n  ProxyCommand sh -c \"x\n", nil},
		{"ssh refuses it", "Host a\n  Bogus yes\n", func(string) error { return errors.New("Bad configuration option: bogus") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := testFiles(t)
			f.Parses = tt.parses
			if err := os.WriteFile(f.Config, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Install(f, "Host h\n")
			if err == nil || hint.Of(err) == "" {
				t.Fatalf("Install = %v; want an error with a hint", err)
			}
			if got, _ := os.ReadFile(f.Config); string(got) != tt.content {
				t.Errorf("config changed to %q", got)
			}
			if _, err := os.Stat(f.Block); err == nil {
				t.Errorf("block written despite the refusal")
			}
		})
	}
}
