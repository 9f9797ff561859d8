package upstream

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"

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
