package upstream

import (
	"io"
	"sync"

	"golang.org/x/crypto/ssh"
)

// signRecord remembers the last key that signed during a login. x/crypto
// signs with a key only after the server said it would accept it, so once
// the login succeeds that key is the identity it was accepted with. A key
// that declined (an empty signature, see declining) or failed is not
// recorded: the login went on without it.
type signRecord struct {
	mu  sync.Mutex
	key ssh.PublicKey
}

// recordedSigners are the keyring's signers, each recording itself in
// k.signed when it signs.
func (k *keyring) recordedSigners() ([]ssh.Signer, error) {
	k.offered = true
	signers, err := k.signers()
	return k.signed.wrap(signers), err
}

// wrap makes each of signers record itself in r when it signs.
func (r *signRecord) wrap(signers []ssh.Signer) []ssh.Signer {
	out := make([]ssh.Signer, len(signers))
	for i, s := range signers {
		out[i] = recording(s, r)
	}
	return out
}

// identity describes the recorded key, as ssh-keygen -l and sshd's log
// name it: "ED25519 SHA256:…", with " certificate" for a certificate;
// "" when no key signed.
func (r *signRecord) identity() string {
	r.mu.Lock()
	key := r.key
	r.mu.Unlock()
	if key == nil {
		return ""
	}
	suffix := ""
	if cert, ok := key.(*ssh.Certificate); ok {
		key, suffix = cert.Key, " certificate"
	}
	return keyTypeName(key) + " " + ssh.FingerprintSHA256(key) + suffix
}

// recordingSigner is a Signer that records itself when it signs.
type recordingSigner struct {
	ssh.Signer
	record *signRecord
}

// note records the signer if sig is a signature the server can accept.
func (s recordingSigner) note(sig *ssh.Signature, err error) (*ssh.Signature, error) {
	if err != nil || sig == nil || len(sig.Blob) == 0 {
		return sig, err
	}
	s.record.mu.Lock()
	s.record.key = s.Signer.PublicKey()
	s.record.mu.Unlock()
	return sig, err
}

func (s recordingSigner) Sign(rand io.Reader, data []byte) (*ssh.Signature, error) {
	return s.note(s.Signer.Sign(rand, data))
}

// recordingAlgorithmSigner keeps an AlgorithmSigner one, so x/crypto still
// picks rsa-sha2-256/512 for RSA keys.
type recordingAlgorithmSigner struct {
	recordingSigner
	as ssh.AlgorithmSigner
}

func (s recordingAlgorithmSigner) SignWithAlgorithm(rand io.Reader, data []byte, algorithm string) (*ssh.Signature, error) {
	return s.note(s.as.SignWithAlgorithm(rand, data, algorithm))
}

// recordingMultiSigner keeps a MultiAlgorithmSigner's list of algorithms.
type recordingMultiSigner struct {
	recordingAlgorithmSigner
	algorithms func() []string
}

func (s recordingMultiSigner) Algorithms() []string { return s.algorithms() }

// recording wraps s so it records itself in r, keeping every signer
// interface s has: x/crypto chooses signature algorithms by them.
func recording(s ssh.Signer, r *signRecord) ssh.Signer {
	rs := recordingSigner{Signer: s, record: r}
	as, ok := s.(ssh.AlgorithmSigner)
	if !ok {
		return rs
	}
	ras := recordingAlgorithmSigner{recordingSigner: rs, as: as}
	if ms, ok := s.(ssh.MultiAlgorithmSigner); ok {
		return recordingMultiSigner{recordingAlgorithmSigner: ras, algorithms: ms.Algorithms}
	}
	return ras
}
