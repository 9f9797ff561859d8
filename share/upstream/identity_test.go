package upstream

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/share/sshtest"
	"golang.org/x/crypto/ssh"
)

// TestRecordingSigner: a wrapped signer keeps the interfaces x/crypto
// chooses signature algorithms by, and the one that signed is the
// identity.
func TestRecordingSigner(t *testing.T) {
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	ed, err := ssh.NewSignerFromKey(edKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ssh.NewSignerFromKey(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	multi, err := ssh.NewSignerWithAlgorithms(rs.(ssh.AlgorithmSigner), []string{ssh.KeyAlgoRSASHA512})
	if err != nil {
		t.Fatal(err)
	}
	var r signRecord
	if r.identity() != "" {
		t.Errorf("identity before any signature: %q; want none", r.identity())
	}
	wrapped := r.wrap([]ssh.Signer{ed, rs, multi})
	if _, ok := wrapped[1].(ssh.AlgorithmSigner); !ok {
		t.Error("wrapped RSA signer is not an AlgorithmSigner")
	}
	if m, ok := wrapped[2].(ssh.MultiAlgorithmSigner); !ok || len(m.Algorithms()) != 1 {
		t.Errorf("wrapped multi-algorithm signer lost its algorithms: %T", wrapped[2])
	}
	if _, err := wrapped[1].(ssh.AlgorithmSigner).SignWithAlgorithm(rand.Reader, []byte("x"), ssh.KeyAlgoRSASHA256); err != nil {
		t.Fatal(err)
	}
	if got := r.identity(); got != "RSA "+ssh.FingerprintSHA256(rs.PublicKey()) {
		t.Errorf("identity after the RSA key signed: %q", got)
	}
	if _, err := wrapped[0].Sign(rand.Reader, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if got := r.identity(); !strings.HasPrefix(got, "ED25519 SHA256:") || !strings.HasSuffix(got, ssh.FingerprintSHA256(ed.PublicKey())) {
		t.Errorf("identity after the ed25519 key signed: %q", got)
	}
}

// TestRecordingSignerDeclined: a key that declines (an agent's refused
// ssh-add -c confirmation) or fails is not the identity; the key that
// signed before it stays the identity, and none is named if none signed.
func TestRecordingSignerDeclined(t *testing.T) {
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	ed, err := ssh.NewSignerFromKey(edKey)
	if err != nil {
		t.Fatal(err)
	}
	refused := agentKey{Signer: failingSigner{ed, errors.New("agent refused operation")}, keys: &keyring{}}
	var declined []string
	var r signRecord
	wrapped := r.wrap([]ssh.Signer{decline(refused, sshtest.DiscardLogger(), &declined)})
	sig, err := wrapped[0].(ssh.AlgorithmSigner).SignWithAlgorithm(rand.Reader, []byte("x"), ssh.KeyAlgoED25519)
	if err != nil || len(sig.Blob) != 0 || len(declined) != 1 {
		t.Fatalf("declining key: got %+v, %v, declined %q; want an empty signature, recorded as declined", sig, err, declined)
	}
	if got := r.identity(); got != "" {
		t.Errorf("identity after the only key declined: %q; want none (password or keyboard-interactive may log in next)", got)
	}
	if _, err := r.wrap([]ssh.Signer{failingSigner{ed, errors.New("broken")}})[0].Sign(rand.Reader, []byte("x")); err == nil {
		t.Fatal("failing key signed")
	}
	if got := r.identity(); got != "" {
		t.Errorf("identity after a key failed: %q; want none", got)
	}
	if _, err := r.wrap([]ssh.Signer{ed})[0].Sign(rand.Reader, []byte("x")); err != nil {
		t.Fatal(err)
	}
	want := r.identity()
	wrapped[0].Sign(rand.Reader, []byte("x"))
	if got := r.identity(); got != want || got == "" {
		t.Errorf("identity after a later key declined: %q; want the key that signed, %q", got, want)
	}
}
