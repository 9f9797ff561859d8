package upstream

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"io"
	"testing"

	"github.com/sshshare/sshshare/share/sshtest"
	"golang.org/x/crypto/ssh"
)

// failingSigner fails every signature with err.
type failingSigner struct {
	ssh.Signer
	err error
}

func (f failingSigner) SignWithAlgorithm(io.Reader, []byte, string) (*ssh.Signature, error) {
	return nil, f.err
}

func (f failingSigner) Sign(r io.Reader, d []byte) (*ssh.Signature, error) {
	return f.SignWithAlgorithm(r, d, "")
}

// TestDecline: a key that declines answers with an empty signature (the
// server rejects it and x/crypto tries the next key) and is recorded for
// the error message; any other failure still ends the login; a working
// key signs; a signer limited to some algorithms keeps its list.
func TestDecline(t *testing.T) {
	key := sshtest.NewKey(t)
	var declined []string
	log := sshtest.DiscardLogger()

	dec := decline(failingSigner{key, &declinedError{key: key.PublicKey(), reason: "the agent refused to sign"}}, log, &declined)
	sig, err := dec.(ssh.AlgorithmSigner).SignWithAlgorithm(rand.Reader, []byte("data"), ssh.KeyAlgoED25519)
	if err != nil || sig == nil || len(sig.Blob) != 0 || sig.Format != ssh.KeyAlgoED25519 {
		t.Errorf("declined key: got %+v, %v; want an empty %s signature", sig, err, ssh.KeyAlgoED25519)
	}
	if len(declined) != 1 {
		t.Errorf("declined = %q; want the key recorded once", declined)
	}

	fatal := errors.New("nobody to ask")
	if _, err := decline(failingSigner{key, fatal}, log, &declined).Sign(rand.Reader, []byte("data")); !errors.Is(err, fatal) {
		t.Errorf("failing key: got %v; want %v", err, fatal)
	}

	sig, err = decline(key, log, &declined).Sign(rand.Reader, []byte("data"))
	if err != nil || key.PublicKey().Verify([]byte("data"), sig) != nil {
		t.Errorf("working key: got %v; want a valid signature", err)
	}

	multi, err := ssh.NewSignerWithAlgorithms(key.(ssh.AlgorithmSigner), []string{ssh.KeyAlgoED25519})
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := decline(multi, log, &declined).(ssh.MultiAlgorithmSigner); !ok || len(m.Algorithms()) != 1 {
		t.Errorf("limited signer lost its algorithm list")
	}
}

// TestOpenSSHPublicKey: the public half is read from an OpenSSH private
// key file without parsing the private part.
func TestOpenSSHPublicKey(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "c", []byte("pass"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	pub := openSSHPublicKey(pem.EncodeToMemory(block))
	if pub == nil || !keysEqual(pub, want) {
		t.Errorf("got %v; want the key's public half", pub)
	}
	if openSSHPublicKey([]byte("not a key")) != nil {
		t.Error("garbage: got a key; want nil")
	}
}
