package localhop

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// ageKeys makes every local host key file in dir look older than
// KeyLifetime.
func ageKeys(t *testing.T, dir string) {
	t.Helper()
	old := time.Now().Add(-KeyLifetime - time.Hour)
	for _, name := range keyFiles() {
		err := os.Chtimes(filepath.Join(dir, name), old, old)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
}

// masterKeys calls MasterKeys and releases its lock at the end of the test.
func masterKeys(t *testing.T, dir string, others bool) Keys {
	t.Helper()
	keys, release, err := MasterKeys(context.Background(), dir, func() bool { return others })
	if err != nil {
		t.Fatalf("MasterKeys: %v", err)
	}
	t.Cleanup(func() { release() })
	return keys
}

func TestMasterKeysKeepsYoungKeys(t *testing.T) {
	dir := t.TempDir()
	first, err := HostKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameKeys(masterKeys(t, dir, false), first); err != nil {
		t.Errorf("keys younger than KeyLifetime replaced: %v", err)
	}
}

// TestMasterKeysReplacesOldKeys: keys older than KeyLifetime are replaced,
// extra keys too, and KnownHostsFile then lists only the new keys, so a
// copy of the old ones is worth nothing to ssh.
func TestMasterKeysReplacesOldKeys(t *testing.T) {
	dir := t.TempDir()
	old, err := HostKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	rsa, err := old.For([]string{ssh.KeyAlgoRSASHA256})
	if err != nil {
		t.Fatal(err)
	}
	ageKeys(t, dir)
	keys := masterKeys(t, dir, false)
	if sameKeys(keys, old) == nil {
		t.Fatal("old keys kept")
	}
	b, err := os.ReadFile(filepath.Join(dir, KnownHostsFile))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), keys.knownHostsLines("*"); got != want {
		t.Errorf("known_hosts after replacing:\n%s\nwant:\n%s", got, want)
	}
	for _, pub := range append(old.publicKeys(), rsa.PublicKey()) {
		if strings.Contains(string(b), strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))) {
			t.Errorf("known_hosts still lists the old %s key", pub.Type())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "hostkey-rsa")); !os.IsNotExist(err) {
		t.Errorf("old extra key file left: %v", err)
	}
	if err := old.HostKeyCallback()("h", nil, keys.ECDSA.PublicKey()); err != nil {
		t.Errorf("keys read before the replacement refuse the new key: %v", err)
	}
}

// TestMasterKeysWhileInUse: old keys stay while another master runs, of
// this build (it holds the keys lock) or an older one (the registry).
func TestMasterKeysWhileInUse(t *testing.T) {
	t.Run("this build", func(t *testing.T) {
		dir := t.TempDir()
		first := masterKeys(t, dir, false)
		ageKeys(t, dir)
		if err := sameKeys(masterKeys(t, dir, false), first); err != nil {
			t.Errorf("keys replaced while a master holds them: %v", err)
		}
	})
	t.Run("older build", func(t *testing.T) {
		dir := t.TempDir()
		first, err := HostKeys(dir)
		if err != nil {
			t.Fatal(err)
		}
		ageKeys(t, dir)
		if err := sameKeys(masterKeys(t, dir, true), first); err != nil {
			t.Errorf("keys replaced while another master runs: %v", err)
		}
	})
}
