package share

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestHostKeyCreated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "home", ".ssh", "sshshare")
	signer, err := HostKey(dir)
	if err != nil {
		t.Fatalf("HostKey: %v", err)
	}
	if got := signer.PublicKey().Type(); got != ssh.KeyAlgoED25519 {
		t.Errorf("key type: got %s; want %s", got, ssh.KeyAlgoED25519)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, HostKeyFile): 0o600} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != want {
			t.Errorf("%s mode: got %#o; want %#o", path, perm, want)
		}
	}
	again, err := HostKey(dir)
	if err != nil {
		t.Fatalf("second HostKey: %v", err)
	}
	if !bytes.Equal(again.PublicKey().Marshal(), signer.PublicKey().Marshal()) {
		t.Error("second call returned another key")
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, HostKeyFile+".*.tmp")); len(tmp) != 0 {
		t.Errorf("temporary files left: %q", tmp)
	}
}

func TestHostKeyConcurrent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	const n = 20
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s, err := HostKey(dir)
			errs[i] = err
			if err == nil {
				keys[i] = s.PublicKey().Marshal()
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Errorf("call %d returned another key than call 0", i)
		}
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, HostKeyFile+".*.tmp")); len(tmp) != 0 {
		t.Errorf("temporary files left: %q", tmp)
	}
}

func TestHostKeyCorrupt(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, HostKeyFile)
	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := HostKey(dir)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("got %v; want an error naming %s", err, path)
	}
	if got, want := Hint(err), "remove "+path; !strings.HasPrefix(got, want) {
		t.Errorf("hint: got %q; want it to start with %q", got, want)
	}
}

func TestKnownHostsLine(t *testing.T) {
	signer := newTestKey(t)
	line := KnownHostsLine("sshshare-master", signer)
	_, hosts, key, _, _, err := ssh.ParseKnownHosts([]byte(line))
	if err != nil {
		t.Fatalf("ParseKnownHosts(%q): %v", line, err)
	}
	if len(hosts) != 1 || hosts[0] != "sshshare-master" {
		t.Errorf("hosts: got %q; want [sshshare-master]", hosts)
	}
	if !bytes.Equal(key.Marshal(), signer.PublicKey().Marshal()) {
		t.Error("key in the line is not the signer's")
	}
	if strings.ContainsAny(line, "\n") {
		t.Errorf("line %q has a newline", line)
	}
}

func TestEnsurePrivateDir(t *testing.T) {
	tests := []struct {
		mode    os.FileMode
		wantErr bool
	}{
		{0o700, false},
		{0o750, false},
		{0o755, false},
		{0o770, true},
		{0o702, true},
		{0o777, true},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tt.mode); err != nil {
				t.Fatal(err)
			}
			err := EnsurePrivateDir(dir)
			if !tt.wantErr {
				if err != nil {
					t.Errorf("got %v; want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "writable by group or others") {
				t.Fatalf("got %v; want a writable-by-others error", err)
			}
			if got, want := Hint(err), "chmod 700 "+dir; got != want {
				t.Errorf("hint: got %q; want %q", got, want)
			}
		})
	}
}

func TestEnsurePrivateDirCreates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	if err := EnsurePrivateDir(dir); err != nil {
		t.Fatalf("EnsurePrivateDir: %v", err)
	}
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("mode: got %#o; want 0700", perm)
	}
}

func TestEnsurePrivateDirNotDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := EnsurePrivateDir(path); err == nil {
		t.Error("got nil; want an error for a regular file")
	}
}

func TestHostKeyWritesWildcardKnownHosts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sshshare")
	signer, err := HostKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, KnownHostsFile))
	if err != nil {
		t.Fatal(err)
	}
	if want := KnownHostsLine("*", signer) + "\n"; string(b) != want {
		t.Errorf("known_hosts: got %q; want %q", b, want)
	}
}

func TestWithoutFileDropsLocalKnownHosts(t *testing.T) {
	got := withoutFile([]string{"/h/.ssh/known_hosts", "/h/.ssh/sshshare//known_hosts"}, "/h/.ssh/sshshare/known_hosts")
	if len(got) != 1 || got[0] != "/h/.ssh/known_hosts" {
		t.Errorf("got %q; want only /h/.ssh/known_hosts", got)
	}
}
