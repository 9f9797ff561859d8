package upstream

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"golang.org/x/crypto/ssh"
)

// A key the master offers can fail to sign after the server has accepted
// its public half: an agent refuses (an `ssh-add -c` confirmation
// declined, a FIDO touch not given, a smartcard pulled out, a
// destination-constrained key), or the user gives no passphrase for an
// identity file. ssh then moves on to its next key. x/crypto ends the
// whole publickey method on a Sign error instead, and its AuthMethod
// cannot be implemented outside the package, so a key that cannot sign
// declines: it answers with an empty signature, which the server rejects
// like any bad signature, and x/crypto goes on to the next key on the same
// connection. The cost is one failed attempt in the server's count and
// log, where ssh sends nothing; re-dialling without the key would cost a
// new connection, and prompts already answered.

// declinedError is a key's signing failure that lets the login go on with
// the next key.
type declinedError struct {
	key    ssh.PublicKey
	reason string
}

func (e *declinedError) Error() string {
	if e.key == nil {
		return e.reason // a key whose public half is unknown
	}
	return fmt.Sprintf("%s %s: %s", e.key.Type(), ssh.FingerprintSHA256(e.key), e.reason)
}

// declining wraps a keyring signer so that a declinedError becomes a
// signature the server rejects; any other error still ends the login.
type declining struct {
	ssh.Signer
	log *slog.Logger
	// declined collects why each key declined, for the error message if
	// the login fails.
	declined *[]string
}

// SignWithAlgorithm signs with the wrapped signer, or declines.
func (d declining) SignWithAlgorithm(rand io.Reader, data []byte, algo string) (*ssh.Signature, error) {
	sig, err := signWith(d.Signer, rand, data, algo)
	var dec *declinedError
	if errors.As(err, &dec) {
		d.log.Info("key declined, trying the next", "key", dec.Error())
		*d.declined = append(*d.declined, dec.Error())
		return &ssh.Signature{Format: algo}, nil
	}
	return sig, err
}

// Sign signs with the key's default algorithm, or declines.
func (d declining) Sign(rand io.Reader, data []byte) (*ssh.Signature, error) {
	return d.SignWithAlgorithm(rand, data, "")
}

// decliningMulti is declining for a signer limited to some algorithms.
type decliningMulti struct {
	declining
	algos []string
}

// Algorithms are the wrapped signer's.
func (d decliningMulti) Algorithms() []string { return d.algos }

// decline wraps s (see declining).
func decline(s ssh.Signer, log *slog.Logger, declined *[]string) ssh.Signer {
	d := declining{Signer: s, log: log, declined: declined}
	if m, ok := s.(ssh.MultiAlgorithmSigner); ok {
		return decliningMulti{declining: d, algos: m.Algorithms()}
	}
	return d
}

// signWith signs with algo when s can choose, else with its default.
func signWith(s ssh.Signer, rand io.Reader, data []byte, algo string) (*ssh.Signature, error) {
	if as, ok := s.(ssh.AlgorithmSigner); ok && algo != "" {
		return as.SignWithAlgorithm(rand, data, algo)
	}
	return s.Sign(rand, data)
}

// agentKey is a key held by the agent; a refusal to sign declines.
type agentKey struct {
	ssh.Signer
	keys *keyring
}

// SignWithAlgorithm asks the agent, bound to this session first.
func (a agentKey) SignWithAlgorithm(rand io.Reader, data []byte, algo string) (*ssh.Signature, error) {
	a.keys.bindSession(data)
	sig, err := signWith(a.Signer, rand, data, algo)
	if err != nil {
		return nil, &declinedError{key: a.PublicKey(), reason: "the agent refused to sign (" + err.Error() + ")"}
	}
	return sig, nil
}

// Sign is SignWithAlgorithm with the key's default algorithm.
func (a agentKey) Sign(rand io.Reader, data []byte) (*ssh.Signature, error) {
	return a.SignWithAlgorithm(rand, data, "")
}

// lockedKey is an encrypted identity file, unlocked (its passphrase
// asked) only when the server has accepted its public half, as ssh does.
type lockedKey struct {
	id     identity
	pem    []byte
	keys   *keyring
	signer ssh.Signer
}

// PublicKey is the key's public half, known without the passphrase.
func (l *lockedKey) PublicKey() ssh.PublicKey { return l.id.pub }

// SignWithAlgorithm unlocks the key the first time, then signs.
func (l *lockedKey) SignWithAlgorithm(rand io.Reader, data []byte, algo string) (*ssh.Signature, error) {
	if l.signer == nil {
		s, err := l.keys.unlock(l.id, l.pem)
		if err != nil {
			return nil, err
		}
		l.signer = s
	}
	return signWith(l.signer, rand, data, algo)
}

// Sign is SignWithAlgorithm with the key's default algorithm.
func (l *lockedKey) Sign(rand io.Reader, data []byte) (*ssh.Signature, error) {
	return l.SignWithAlgorithm(rand, data, "")
}

// unusableKey is a key the master cannot sign with (a FIDO identity file,
// a PKCS#11 token): its public half is offered as ssh offers it, and if
// the server accepts it, where ssh would sign with the device, the login
// is refused with why and the fix.
type unusableKey struct {
	pub  ssh.PublicKey
	err  error
	keys *keyring
}

// PublicKey is the key's public half.
func (u unusableKey) PublicKey() ssh.PublicKey { return u.pub }

// SignWithAlgorithm refuses the login.
func (u unusableKey) SignWithAlgorithm(io.Reader, []byte, string) (*ssh.Signature, error) {
	u.keys.halt(u.err)
	return nil, u.err
}

// Sign refuses the login.
func (u unusableKey) Sign(io.Reader, []byte) (*ssh.Signature, error) {
	return u.SignWithAlgorithm(nil, nil, "")
}
