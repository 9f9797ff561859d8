package localhop

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sshshare/sshshare/lock"
	"github.com/sshshare/sshshare/share/sysio"
	"golang.org/x/crypto/ssh"
)

// Most clients take ECDSA P-256 or ed25519, the keys HostKeys makes. A
// client whose HostKeyAlgorithms lists neither (an RSA-only or P-384-only
// policy) is shown a key of a type it lists, made on first use and kept
// beside the others: an extra key. Its "* TYPE KEY" line is appended to
// KnownHostsFile, after the two lines HostKeys writes.
//
// sshshare builds before extra keys rewrite KnownHostsFile to exactly
// their two lines whenever they find anything else in it (a master
// starting, `sshshare known-hosts` reading it), which drops an extra
// line. So a master does not trust the line it wrote once: just before it
// shows an extra key to a client, it reads KnownHostsFile and puts the
// line back if it is missing. Builds with extra keys keep the lines (see
// writeKnownHosts) and change KnownHostsFile only under its lock.

// extraKind is one type of extra key: its file in the state directory, the
// host key algorithms it serves, and how to make one.
type extraKind struct {
	file       string
	algorithms []string
	generate   func() (crypto.PrivateKey, error)
}

// extraKinds are the extra key types, tried in a client's order of
// preference.
var extraKinds = []extraKind{
	{"hostkey-rsa", []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}, newRSAKey},
	{"hostkey-ecdsa384", []string{ssh.KeyAlgoECDSA384}, newECDSAKeyOn(elliptic.P384())},
	{"hostkey-ecdsa521", []string{ssh.KeyAlgoECDSA521}, newECDSAKeyOn(elliptic.P521())},
}

// rsaKeyBits is the size of the RSA key, ssh-keygen's default.
const rsaKeyBits = 3072

func newRSAKey() (crypto.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, rsaKeyBits) }

func newECDSAKeyOn(curve elliptic.Curve) func() (crypto.PrivateKey, error) {
	return func() (crypto.PrivateKey, error) { return ecdsa.GenerateKey(curve, rand.Reader) }
}

// extraKeys loads extra keys once per master and keeps them.
type extraKeys struct {
	dir  string
	mu   sync.Mutex
	keys map[string]ssh.Signer // by file name
}

// For returns the host key to show a client whose KEXINIT listed the host
// key algorithms (nil when it was not read): ECDSA P-256 if it takes it,
// else ed25519 if it takes it, else an extra key of the first type it
// lists that one serves, whose KnownHostsFile line is checked first. When
// nothing fits, or the extra key fails, it returns ed25519 (with the
// error): the client then refuses it as it would refuse any server.
func (k Keys) For(algorithms []string) (ssh.Signer, error) {
	switch {
	case slices.Contains(algorithms, ssh.KeyAlgoECDSA256):
		return k.ECDSA, nil
	case len(algorithms) == 0 || slices.Contains(algorithms, ssh.KeyAlgoED25519) || k.extra == nil:
		return k.Ed25519, nil
	}
	for _, alg := range algorithms {
		for _, kind := range extraKinds {
			if slices.Contains(kind.algorithms, alg) {
				signer, err := k.extra.key(kind)
				if err != nil {
					return k.Ed25519, fmt.Errorf("local host key for %s: %w", alg, err)
				}
				return signer, nil
			}
		}
	}
	return k.Ed25519, nil
}

// key returns the extra key of kind, loading or making it on first use,
// after making sure KnownHostsFile has its line.
func (e *extraKeys) key(kind extraKind) (ssh.Signer, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	signer := e.keys[kind.file]
	if signer == nil {
		var err error
		if signer, err = hostKey(filepath.Join(e.dir, kind.file), kind.generate); err != nil {
			return nil, err
		}
		if e.keys == nil {
			e.keys = make(map[string]ssh.Signer)
		}
		e.keys[kind.file] = signer
	}
	return signer, ensureKnownHostsLine(e.dir, signer.PublicKey())
}

// wildcardEntry is KnownHostsFile's "* TYPE KEY" line for pub.
func wildcardEntry(pub ssh.PublicKey) string {
	return "* " + string(bytes.TrimSpace(ssh.MarshalAuthorizedKey(pub))) + "\n"
}

// ensureKnownHostsLine appends pub's line to KnownHostsFile unless it has
// it. The common case is one read; a change is made under the file's lock
// and replaces the file whole, so ssh never reads half a line.
func ensureKnownHostsLine(dir string, pub ssh.PublicKey) error {
	path := filepath.Join(dir, KnownHostsFile)
	line := wildcardEntry(pub)
	if hasLine(path, line) {
		return nil
	}
	return withKnownHostsLock(path, func() error {
		b, err := sysio.ReadFileShared(path)
		if err != nil && !os.IsNotExist(err) {
			return err
		}
		text := string(b)
		if hasLineIn(text, line) {
			return nil
		}
		if text != "" && !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		return installFile(path, []byte(text+line), os.Rename)
	})
}

// hasLine reports whether the file at path has line.
func hasLine(path, line string) bool {
	b, err := sysio.ReadFileShared(path)
	return err == nil && hasLineIn(string(b), line)
}

// hasLineIn reports whether text has line (which ends in a newline).
func hasLineIn(text, line string) bool {
	return slices.Contains(strings.SplitAfter(text, "\n"), line)
}

// knownHostsLockWait bounds the wait for KnownHostsFile's lock, which is
// held only while the small file is rewritten.
const knownHostsLockWait = 5 * time.Second

// withKnownHostsLock runs change holding KnownHostsFile's lock
// (KnownHostsFile.lock, never deleted), which every build that keeps extra
// lines takes before it changes the file.
func withKnownHostsLock(path string, change func() error) error {
	ctx, cancel := context.WithTimeout(context.Background(), knownHostsLockWait)
	defer cancel()
	release, err := lock.Acquire(ctx, path)
	if err != nil {
		return err
	}
	defer release()
	if err := change(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
