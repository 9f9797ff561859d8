package localhop

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/ssh"
)

// TestExtraKeyLineSurvivesOldRewrite: an RSA-only client gets an RSA key
// whose line follows the two of HostKeys; after an older build rewrote
// the file to exactly its two lines, the next such client finds the line
// back, and `sshshare known-hosts` prints all three.
func TestExtraKeyLineSurvivesOldRewrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sshshare")
	keys, err := HostKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	kh := filepath.Join(dir, KnownHostsFile)
	base := keys.knownHostsLines("*")
	for round := range 2 {
		key, err := keys.For([]string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256})
		if err != nil {
			t.Fatal(err)
		}
		if key.PublicKey().Type() != ssh.KeyAlgoRSA {
			t.Fatalf("round %d: key type %s; want %s", round, key.PublicKey().Type(), ssh.KeyAlgoRSA)
		}
		want := base + wildcardEntry(key.PublicKey())
		if b, _ := os.ReadFile(kh); string(b) != want {
			t.Errorf("round %d: known_hosts: got %q; want %q", round, b, want)
		}
		// What a build without extra keys does on start.
		if err := os.WriteFile(kh, []byte(base), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	key, _ := keys.For([]string{ssh.KeyAlgoRSASHA512})
	got, err := KnownHosts(dir, "h")
	if err != nil {
		t.Fatal(err)
	}
	if want := keys.knownHostsLines("h") + "h " + wildcardEntry(key.PublicKey())[2:]; got != want {
		t.Errorf("known-hosts: got %q; want %q", got, want)
	}
}

// TestForPrefersBaseKeys: a client taking P-256 or ed25519, or whose list
// was not read, gets a base key and no extra key is made.
func TestForPrefersBaseKeys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sshshare")
	keys, err := HostKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		algs []string
		want string
	}{
		{nil, ssh.KeyAlgoED25519},
		{[]string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoECDSA256}, ssh.KeyAlgoECDSA256},
		{[]string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoED25519}, ssh.KeyAlgoED25519},
		{[]string{"sk-ssh-ed25519@openssh.com"}, ssh.KeyAlgoED25519},
	} {
		key, err := keys.For(tc.algs)
		if err != nil || key.PublicKey().Type() != tc.want {
			t.Errorf("For(%v): got %s, %v; want %s", tc.algs, key.PublicKey().Type(), err, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "hostkey-rsa")); !os.IsNotExist(err) {
		t.Errorf("hostkey-rsa made for clients that did not need it: %v", err)
	}
}
