package upstream

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/share/sshtest"
	"golang.org/x/crypto/ssh"
)

// pemKey writes an encrypted legacy PEM key (ssh-keygen -m PEM, no .pub
// kept) and returns its path and public half.
func pemKey(t *testing.T, pass string) (string, ssh.PublicKey) {
	t.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("no ssh-keygen to write a PEM key")
	}
	path := filepath.Join(t.TempDir(), "id_pem")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ecdsa", "-m", "PEM", "-N", pass, "-C", "", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	b, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path + ".pub"); err != nil {
		t.Fatal(err)
	}
	if pem, _ := os.ReadFile(path); !strings.Contains(string(pem), "Proc-Type: 4,ENCRYPTED") {
		t.Fatalf("ssh-keygen -m PEM wrote no encrypted PEM key:\n%s", pem)
	}
	return path, pub
}

// keyLogin logs k in, publickey only, to a server accepting only the key
// accepted.
func keyLogin(t *testing.T, k *keyring, accepted ssh.PublicKey) error {
	t.Helper()
	cc, sc := sshtest.TCPPair(t)
	scfg := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
		if keysEqual(key, accepted) {
			return nil, nil
		}
		return nil, os.ErrPermission
	}}
	scfg.AddHostKey(sshtest.HostSigner())
	go func() {
		if conn, _, _, err := ssh.NewServerConn(sc, scfg); err == nil {
			conn.Close()
		}
		sc.Close()
	}()
	ccfg := &ssh.ClientConfig{
		User:            "test",
		Auth:            []ssh.AuthMethod{ssh.PublicKeysCallback(k.recordedSigners)},
		AuthCallback:    k.lateKeys,
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
	}
	conn, _, _, err := ssh.NewClientConn(cc, "test", ccfg)
	if err == nil {
		conn.Close()
	}
	return err
}

// TestLateKeyUnlocked: an encrypted PEM identity file without its .pub is
// unlocked (its passphrase asked) once the other keys were refused, then
// offered; the login is made with it and names it. When another key is
// accepted first, its passphrase is never asked, as with ssh.
func TestLateKeyUnlocked(t *testing.T) {
	path, pub := pemKey(t, "secret")
	other := filepath.Join(t.TempDir(), "id_other")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", other).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	cfg := HostConfig{IdentityFiles: []string{path, other}, PubkeyAuthentication: true}

	p := &scriptedPrompter{answers: []string{"wrong", "secret"}}
	k := &keyring{cfg: cfg, log: sshtest.DiscardLogger(), prompter: p}
	if err := keyLogin(t, k, pub); err != nil {
		t.Fatalf("login with the PEM key as the one accepted: %v", err)
	}
	if len(p.asked) != 2 || !strings.Contains(p.asked[0].Prompts[0], "Enter passphrase for key '"+path+"'") {
		t.Errorf("asked %+v; want the passphrase for %s, then again after the wrong one", p.asked, path)
	}
	if want := keyTypeName(pub) + " " + ssh.FingerprintSHA256(pub); k.signed.identity() != want {
		t.Errorf("identity %q; want the PEM key, %q", k.signed.identity(), want)
	}

	b, err := os.ReadFile(other + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	otherPub, _, _, _, _ := ssh.ParseAuthorizedKey(b)
	p = &scriptedPrompter{}
	k = &keyring{cfg: cfg, log: sshtest.DiscardLogger(), prompter: p}
	if err := keyLogin(t, k, otherPub); err != nil {
		t.Fatalf("login with the other key as the one accepted: %v", err)
	}
	if len(p.asked) != 0 {
		t.Errorf("asked %+v; want nothing: the other key was accepted first", p.asked)
	}
}

// TestLateKeyNobodyToAsk: with nobody to ask, an encrypted PEM identity
// file without its .pub cannot be offered; it is counted among the keys
// that could not sign, for the error message, not dropped silently.
func TestLateKeyNobodyToAsk(t *testing.T) {
	path, pub := pemKey(t, "secret")
	k := &keyring{cfg: HostConfig{IdentityFiles: []string{path}, PubkeyAuthentication: true}, log: sshtest.DiscardLogger()}
	if err := keyLogin(t, k, pub); err == nil {
		t.Fatal("login succeeded without the passphrase")
	}
	if len(k.declined) != 1 || !strings.Contains(k.declined[0], path+" is encrypted and there is no way to ask for its passphrase") {
		t.Errorf("declined %q; want %s named as encrypted with nobody to ask", k.declined, path)
	}
}
