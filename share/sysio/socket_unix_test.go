//go:build linux || darwin

package sysio

import (
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/hint"
)

// fakeMaster listens at path and counts the bytes its clients send; it
// stands for a master someone else planted there.
type fakeMaster struct {
	ln    net.Listener
	conns atomic.Int64
	bytes atomic.Int64
}

func plantMaster(t *testing.T, path string) *fakeMaster {
	t.Helper()
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeMaster{ln: ln}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.conns.Add(1)
			c.SetDeadline(time.Now().Add(time.Second))
			n, _ := io.Copy(io.Discard, c)
			f.bytes.Add(n)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return f
}

// TestDialMasterRefusesUnsafe: before any byte goes to a socket, its
// directory must be the user's and closed to writers, and the socket a
// socket of the user's; a refusal names the path and the problem and
// comes with a hint.
func TestDialMasterRefusesUnsafe(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the socket path
		want  string
	}{
		{"directory writable by others", func(t *testing.T, dir string) string {
			d := filepath.Join(dir, "open")
			mustMkdir(t, d, 0o777)
			p := filepath.Join(d, "s")
			plantMaster(t, p)
			return p
		}, "is writable by group or others (mode 0777)"},
		{"directory is a symlink", func(t *testing.T, dir string) string {
			real := filepath.Join(dir, "real")
			mustMkdir(t, real, 0o700)
			plantMaster(t, filepath.Join(real, "s"))
			link := filepath.Join(dir, "link")
			if err := os.Symlink(real, link); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(link, "s")
		}, "is a symlink"},
		{"not a socket", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "s")
			if err := os.WriteFile(p, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}, "is not a socket"},
		{"socket owned by another user", func(t *testing.T, dir string) string {
			if os.Getuid() != 0 {
				t.Skip("needs root to give a socket to another user")
			}
			p := filepath.Join(dir, "s")
			plantMaster(t, p)
			if err := os.Lchown(p, 65534, 65534); err != nil {
				t.Fatal(err)
			}
			return p
		}, "is owned by uid 65534"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "d")
			mustMkdir(t, dir, 0o700)
			path := tt.setup(t, dir)
			conn, err := DialMaster(path, time.Second)
			if err == nil {
				conn.Write([]byte("hello"))
				conn.Close()
				t.Fatalf("DialMaster(%s) connected; want %q", path, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), filepath.Dir(path)) {
				t.Errorf("got %v; want the path and %q", err, tt.want)
			}
			if hint.Of(err) == "" {
				t.Errorf("%v: no hint", err)
			}
		})
	}
}

// TestDialMasterMissing: a missing directory or socket is fs.ErrNotExist,
// so the invocation starts a master as before.
func TestDialMasterMissing(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{filepath.Join(dir, "s"), filepath.Join(dir, "none", "s")} {
		if _, err := DialMaster(p, time.Second); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("DialMaster(%s): got %v; want fs.ErrNotExist", p, err)
		}
	}
}

// TestDialMasterOwn: the user's own master in a private directory is
// reached, and receives what is sent.
func TestDialMasterOwn(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	mustMkdir(t, dir, 0o700)
	p := filepath.Join(dir, "s")
	f := plantMaster(t, p)
	conn, err := DialMaster(p, time.Second)
	if err != nil {
		t.Fatalf("DialMaster: %v", err)
	}
	conn.Write([]byte("hello"))
	conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for f.bytes.Load() != 5 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := f.bytes.Load(); got != 5 {
		t.Errorf("master got %d bytes; want 5", got)
	}
}

func mustMkdir(t *testing.T, dir string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

// TestEnsureOwnDirTightens: one of sshshare's own directories that group
// or others may read is closed to them; one they may write is refused.
func TestEnsureOwnDirTightens(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	mustMkdir(t, dir, 0o755)
	if err := EnsureOwnDir(dir); err != nil {
		t.Fatalf("EnsureOwnDir: %v", err)
	}
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("mode after EnsureOwnDir: %v (%v); want 0700", info.Mode().Perm(), err)
	}
	if err := os.Chmod(dir, 0o775); err != nil {
		t.Fatal(err)
	}
	if err := EnsureOwnDir(dir); err == nil || !strings.Contains(err.Error(), "writable by group or others") {
		t.Errorf("group-writable: got %v; want refused", err)
	}
}

// BenchmarkDialMaster measures the checks' cost on the fast path against
// a plain dial (BenchmarkDialPlain) of the same socket.
func BenchmarkDialMaster(b *testing.B) { benchDial(b, DialMaster) }

func BenchmarkDialPlain(b *testing.B) {
	benchDial(b, func(p string, d time.Duration) (net.Conn, error) { return net.DialTimeout("unix", p, d) })
}

func benchDial(b *testing.B, dial func(string, time.Duration) (net.Conn, error)) {
	dir := filepath.Join(b.TempDir(), "d")
	if err := os.Mkdir(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", p)
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	for b.Loop() {
		c, err := dial(p, 0)
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}
