package localhop

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/sshtest"
	"github.com/sshshare/sshshare/share/sysio"
	"golang.org/x/crypto/ssh"
)

func TestHostKeysCreated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "home", ".ssh", "sshshare")
	keys, err := HostKeys(dir)
	if err != nil {
		t.Fatalf("HostKeys: %v", err)
	}
	if got := keys.ECDSA.PublicKey().Type(); got != ssh.KeyAlgoECDSA256 {
		t.Errorf("ECDSA key type: got %s; want %s", got, ssh.KeyAlgoECDSA256)
	}
	if got := keys.Ed25519.PublicKey().Type(); got != ssh.KeyAlgoED25519 {
		t.Errorf("ed25519 key type: got %s; want %s", got, ssh.KeyAlgoED25519)
	}
	modes := map[string]os.FileMode{dir: 0o700, filepath.Join(dir, hostKeyFile): 0o600,
		filepath.Join(dir, hostKeyFileECDSA): 0o600, filepath.Join(dir, KnownHostsFile): 0o600}
	for path, want := range modes {
		sshtest.WantMode(t, path, want)
	}
	again, err := HostKeys(dir)
	if err != nil {
		t.Fatalf("second HostKeys: %v", err)
	}
	if sameKeys(again, keys) != nil {
		t.Error("second call returned other keys")
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(tmp) != 0 {
		t.Errorf("temporary files left: %q", tmp)
	}
}

// sameKeys reports how a and b differ, or nil.
func sameKeys(a, b Keys) error {
	pa, pb := a.publicKeys(), b.publicKeys()
	for i := range pa {
		if !bytes.Equal(pa[i].Marshal(), pb[i].Marshal()) {
			return fmt.Errorf("%s keys differ", pa[i].Type())
		}
	}
	return nil
}

func TestHostKeysConcurrent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	const n = 20
	keys := make([]Keys, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = HostKeys(dir) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		if err := sameKeys(keys[i], keys[0]); err != nil {
			t.Errorf("call %d against call 0: %v", i, err)
		}
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(tmp) != 0 {
		t.Errorf("temporary files left: %q", tmp)
	}
}

func TestHostKeysCorrupt(t *testing.T) {
	for _, name := range []string{hostKeyFile, hostKeyFileECDSA} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := HostKeys(dir)
			if err == nil || !strings.Contains(err.Error(), path) {
				t.Fatalf("got %v; want an error naming %s", err, path)
			}
			if got, want := hint.Of(err), "remove "+path; !strings.HasPrefix(got, want) {
				t.Errorf("hint: got %q; want it to start with %q", got, want)
			}
		})
	}
}

func TestKnownHostsLines(t *testing.T) {
	keys, err := HostKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	text := keys.knownHostsLines("[sshshare-master]:2222")
	rest := []byte(text)
	for i, want := range keys.publicKeys() {
		var hosts []string
		var key ssh.PublicKey
		_, hosts, key, _, rest, err = ssh.ParseKnownHosts(rest)
		if err != nil {
			t.Fatalf("line %d of %q: %v", i+1, text, err)
		}
		if len(hosts) != 1 || hosts[0] != "[sshshare-master]:2222" {
			t.Errorf("line %d hosts: got %q; want [[sshshare-master]:2222]", i+1, hosts)
		}
		if !bytes.Equal(key.Marshal(), want.Marshal()) {
			t.Errorf("line %d: key is not the %s key", i+1, want.Type())
		}
	}
	if strings.Count(text, "\n") != 2 || !strings.HasSuffix(text, "\n") {
		t.Errorf("got %q; want two newline-terminated lines", text)
	}
}

func TestHostKeysWriteWildcardKnownHosts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sshshare")
	keys, err := HostKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, KnownHostsFile))
	if err != nil {
		t.Fatal(err)
	}
	if want := keys.knownHostsLines("*"); string(b) != want {
		t.Errorf("known_hosts: got %q; want %q", b, want)
	}
}

func TestLocalKnownHosts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sshshare")
	first, err := KnownHosts(dir, "h1")
	if err != nil {
		t.Fatalf("first use: %v", err)
	}
	keys, err := HostKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := keys.knownHostsLines("h1"); first != want {
		t.Errorf("first use: got %q; want %q", first, want)
	}
	kh := filepath.Join(dir, KnownHostsFile)
	damaged := map[string]string{
		"missing":     "",
		"one line":    keys.knownHostsLines("*")[:strings.Index(keys.knownHostsLines("*"), "\n")+1],
		"no wildcard": keys.knownHostsLines("other"),
		"no newline":  strings.TrimSuffix(keys.knownHostsLines("*"), "\n"),
		"garbage":     "* x\n* y z w\n",
	}
	for name, content := range damaged {
		t.Run(name, func(t *testing.T) {
			os.Remove(kh)
			if content != "" {
				if err := os.WriteFile(kh, []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := KnownHosts(dir, "[h2]:2200")
			if err != nil {
				t.Fatal(err)
			}
			if want := keys.knownHostsLines("[h2]:2200"); got != want {
				t.Errorf("got %q; want %q", got, want)
			}
			if b, _ := os.ReadFile(kh); string(b) != keys.knownHostsLines("*") {
				t.Errorf("known_hosts not repaired: %q", b)
			}
		})
	}
}

// TestLocalKnownHostsExtraLine: an extra key's line after the two lines
// of HostKeys is printed for the host, and HostKeys keeps it.
func TestLocalKnownHostsExtraLine(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sshshare")
	keys, err := HostKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	kh := filepath.Join(dir, KnownHostsFile)
	content := keys.knownHostsLines("*") + "* ssh-rsa AAAA\n"
	if err := os.WriteFile(kh, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := KnownHosts(dir, "h")
	if err != nil {
		t.Fatal(err)
	}
	if want := keys.knownHostsLines("h") + "h ssh-rsa AAAA\n"; got != want {
		t.Errorf("known-hosts: got %q; want %q", got, want)
	}
	if _, err := HostKeys(dir); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(kh); string(b) != content {
		t.Errorf("known_hosts after HostKeys: got %q; want %q", b, content)
	}
}

func TestHostKeyCallback(t *testing.T) {
	keys, err := HostKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	check := keys.HostKeyCallback()
	for _, pub := range keys.publicKeys() {
		if err := check("master", nil, pub); err != nil {
			t.Errorf("%s: %v", pub.Type(), err)
		}
	}
	if err := check("master", nil, sshtest.NewKey(t).PublicKey()); err == nil {
		t.Error("a foreign key was accepted")
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
	sshtest.NeedsModes(t)
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tt.mode); err != nil {
				t.Fatal(err)
			}
			err := sysio.EnsurePrivateDir(dir)
			if !tt.wantErr {
				if err != nil {
					t.Errorf("got %v; want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "writable by group or others") {
				t.Fatalf("got %v; want a writable-by-others error", err)
			}
			if got, want := hint.Of(err), "chmod 700 "+dir; got != want {
				t.Errorf("hint: got %q; want %q", got, want)
			}
		})
	}
}

func TestEnsurePrivateDirCreates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	if err := sysio.EnsurePrivateDir(dir); err != nil {
		t.Fatalf("EnsurePrivateDir: %v", err)
	}
	sshtest.WantMode(t, dir, 0o700)
}

func TestEnsurePrivateDirNotDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := sysio.EnsurePrivateDir(path); err == nil {
		t.Error("got nil; want an error for a regular file")
	}
}

func TestWithoutFileDropsLocalKnownHosts(t *testing.T) {
	got := WithoutFile([]string{"/h/.ssh/known_hosts", "/h/.ssh/sshshare//known_hosts"}, "/h/.ssh/sshshare/known_hosts")
	if len(got) != 1 || got[0] != "/h/.ssh/known_hosts" {
		t.Errorf("got %q; want only /h/.ssh/known_hosts", got)
	}
}
