package control

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/share/sshtest"
	"github.com/sshshare/sshshare/share/sysio"
)

// registerAs writes a registry entry for socket as if master pid had.
func registerAs(t *testing.T, stateDir, socket string, pid int) {
	t.Helper()
	if err := sysio.EnsurePrivateDir(registryDir(stateDir)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(registryEntry(stateDir, socket, pid), []byte(socket+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// otherPid is a pid that is not this process's.
const otherPid = 424242

func TestRegistry(t *testing.T) {
	state := t.TempDir()
	if got, err := RegisteredSockets(state); err != nil || len(got) != 0 {
		t.Fatalf("empty registry: got %q, %v; want none, nil", got, err)
	}
	b, a := filepath.Join(state, "b.sock"), filepath.Join(state, "a.sock")
	for _, s := range []string{b, a} {
		if err := Register(state, s); err != nil {
			t.Fatalf("register %s: %v", s, err)
		}
	}
	registerAs(t, state, a, otherPid) // a successor on the same socket

	got, err := RegisteredSockets(state)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{a, b}; !slices.Equal(got, want) {
		t.Errorf("RegisteredSockets: got %q; want %q (sorted, one per socket)", got, want)
	}
	sshtest.WantMode(t, registryDir(state), 0o700)
	sshtest.WantMode(t, registryEntry(state, b, os.Getpid()), 0o600)

	// unregister removes only this master's entry.
	Unregister(state, a)
	if _, err := os.Stat(registryEntry(state, a, os.Getpid())); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("own entry after unregister: got stat error %v; want not exist", err)
	}
	if _, err := os.Stat(registryEntry(state, a, otherPid)); err != nil {
		t.Errorf("successor's entry after unregister: %v", err)
	}

	Unregister(state, b)
	got, err = RegisteredSockets(state)
	if err != nil || !slices.Equal(got, []string{a}) {
		t.Errorf("after unregister: got %q, %v; want [%s]", got, err, a)
	}
}

func TestRegistryForget(t *testing.T) {
	tests := []struct {
		name     string
		livePid  int
		wantLeft []int
	}{
		{"keep live master", otherPid, []int{otherPid}},
		{"nobody live", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state := t.TempDir()
			sock, other := filepath.Join(state, "m.sock"), filepath.Join(state, "other.sock")
			registerAs(t, state, sock, otherPid)
			registerAs(t, state, sock, otherPid+1)
			registerAs(t, state, other, otherPid+1)
			if err := Register(state, sock); err != nil {
				t.Fatal(err)
			}

			forget(state, sock, tt.livePid)
			for _, pid := range []int{otherPid, otherPid + 1, os.Getpid()} {
				_, err := os.Stat(registryEntry(state, sock, pid))
				if kept := err == nil; kept != slices.Contains(tt.wantLeft, pid) {
					t.Errorf("entry of pid %d: kept %v; want %v", pid, kept, !kept)
				}
			}
			if _, err := os.Stat(registryEntry(state, other, otherPid+1)); err != nil {
				t.Errorf("another socket's entry: %v", err)
			}
		})
	}
}

func TestQueryStale(t *testing.T) {
	tests := []struct {
		name   string
		socket func(t *testing.T, path string)
	}{
		{"missing socket", func(*testing.T, string) {}},
		{"nobody listening", func(t *testing.T, path string) {
			ln, err := sysio.Listen(path) // leaves the file when closed
			if err != nil {
				t.Fatal(err)
			}
			ln.Close()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state := t.TempDir()
			sock := filepath.Join(state, "m.sock")
			keep := filepath.Join(state, "k.sock")
			tt.socket(t, sock)
			registerAs(t, state, sock, otherPid)
			registerAs(t, state, keep, otherPid)

			_, err := Query(state, sock, Hello{Op: OpStatus})
			if !errors.Is(err, ErrStale) {
				t.Fatalf("got %v; want ErrStale", err)
			}
			if !strings.Contains(err.Error(), sock) {
				t.Errorf("error %q does not name the socket", err)
			}
			if _, err := os.Lstat(sock); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("stale socket: got stat error %v; want it removed", err)
			}
			got, err := RegisteredSockets(state)
			if err != nil || !slices.Equal(got, []string{keep}) {
				t.Errorf("registry: got %q, %v; want only [%s]", got, err, keep)
			}
		})
	}
}
