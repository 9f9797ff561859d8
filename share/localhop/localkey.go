package localhop

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/sysio"
	"golang.org/x/crypto/ssh"
)

// hostKeyFile is the name of the local ed25519 host key inside the state
// directory; hostKeyFileECDSA that of the ECDSA P-256 one.
const (
	hostKeyFile      = "hostkey"
	hostKeyFileECDSA = "hostkey-ecdsa"
)

// KnownHostsFile is a known_hosts file in the state directory that accepts
// the local host keys for any host name: listed in GlobalKnownHostsFile
// (the README's set-up) or UserKnownHostsFile, it lets ssh accept masters
// without running a KnownHostsCommand on every connection. The keys are
// private to this user, so only this user's masters can present them.
const KnownHostsFile = "known_hosts"

// Keys are this user's local host keys, which masters present to
// local ssh clients. The key never leaves this machine: it only proves to
// the local ssh that it reached this user's master. A master presents
// ECDSA P-256 to clients that accept it, because OpenSSH checks it with
// OpenSSL in a fraction of the time its own ed25519 code takes, and
// ed25519 to clients that do not (a hardened HostKeyAlgorithms).
type Keys struct {
	ECDSA   ssh.Signer
	Ed25519 ssh.Signer
	extra   *extraKeys // other types, made on demand (see For); nil in tests' Keys
}

// publicKeys lists the public halves, ECDSA first.
func (k Keys) publicKeys() []ssh.PublicKey {
	return []ssh.PublicKey{k.ECDSA.PublicKey(), k.Ed25519.PublicKey()}
}

// HostKeyCallback accepts a master presenting either local key. Keys
// read from a state directory are read again before a key is refused: a
// master that started after they were read may have replaced them (see
// MasterKeys).
func (k Keys) HostKeyCallback() ssh.HostKeyCallback {
	return func(_ string, _ net.Addr, key ssh.PublicKey) error {
		if k.has(key) {
			return nil
		}
		if k.extra != nil {
			if now, err := loadKeys(k.extra.dir); err == nil && now.has(key) {
				return nil
			}
		}
		return fmt.Errorf("master presented %s, not a local host key", ssh.FingerprintSHA256(key))
	}
}

// has reports whether key is one of k's two keys.
func (k Keys) has(key ssh.PublicKey) bool {
	for _, pub := range k.publicKeys() {
		if bytes.Equal(pub.Marshal(), key.Marshal()) {
			return true
		}
	}
	return false
}

// knownHostsLines are the known_hosts lines that make ssh accept the local
// keys as those of host, one per key, each ending in a newline.
func (k Keys) knownHostsLines(host string) string {
	var b strings.Builder
	for _, pub := range k.publicKeys() {
		b.WriteString(host + " " + string(bytes.TrimSpace(ssh.MarshalAuthorizedKey(pub))) + "\n")
	}
	return b.String()
}

// HostKeys returns the local host keys, creating them in dir on first
// use, and keeps KnownHostsFile in step with them. Creation is atomic
// (write a temporary file, then link it into place), so concurrent first
// calls agree on the keys.
func HostKeys(dir string) (Keys, error) {
	if err := sysio.EnsureOwnDir(dir); err != nil {
		return Keys{}, err
	}
	keys, err := loadKeys(dir)
	if err != nil {
		return keys, err
	}
	return keys, writeKnownHosts(dir, keys)
}

// loadKeys reads the two local host keys in dir, creating them if missing.
func loadKeys(dir string) (Keys, error) {
	keys := Keys{extra: &extraKeys{dir: dir}}
	var err error
	if keys.ECDSA, err = hostKey(filepath.Join(dir, hostKeyFileECDSA), newECDSAKey); err != nil {
		return keys, err
	}
	keys.Ed25519, err = hostKey(filepath.Join(dir, hostKeyFile), newEd25519Key)
	return keys, err
}

// KnownHosts is what `sshshare known-hosts HOST` prints. ssh runs it
// twice per connection, so it reads KnownHostsFile rather than parsing the
// private keys; it falls back to HostKeys when that file is missing or not
// what HostKeys writes.
func KnownHosts(dir, host string) (string, error) {
	if err := sysio.EnsureOwnDir(dir); err != nil {
		return "", err
	}
	if b, err := sysio.ReadFileShared(filepath.Join(dir, KnownHostsFile)); err == nil {
		if lines, ok := forHost(string(b), host); ok {
			return lines, nil
		}
	}
	keys, err := HostKeys(dir)
	if err != nil {
		return "", err
	}
	return keys.knownHostsLines(host), nil
}

// forHost rewrites the wildcard lines of KnownHostsFile for host. It
// reports false unless text is "* TYPE KEY" lines, at least the two
// HostKeys writes.
func forHost(text, host string) (string, bool) {
	lines := strings.SplitAfter(text, "\n")
	if len(lines) < 3 || lines[len(lines)-1] != "" {
		return "", false
	}
	var b strings.Builder
	for _, line := range lines[:len(lines)-1] {
		rest, ok := wildcardLine(line)
		if !ok {
			return "", false
		}
		b.WriteString(host + " " + rest)
	}
	return b.String(), true
}

// wildcardLine returns "TYPE KEY\n" of a "* TYPE KEY\n" line.
func wildcardLine(line string) (string, bool) {
	rest, ok := strings.CutPrefix(line, "* ")
	if !ok || len(strings.Fields(rest)) != 2 || !strings.HasSuffix(rest, "\n") {
		return "", false
	}
	return rest, true
}

// writeKnownHosts makes KnownHostsFile start with the lines of keys,
// keeping the extra keys' lines that follow them (see ensureKnownHostsLine).
// It reads the file and leaves it alone when it is right, as it is after
// the first use; otherwise it rewrites it under its lock.
func writeKnownHosts(dir string, keys Keys) error {
	path := filepath.Join(dir, KnownHostsFile)
	want := keys.knownHostsLines("*")
	if b, err := sysio.ReadFileShared(path); err == nil && string(b) == want+extraLines(string(b)) {
		return nil
	}
	return withKnownHostsLock(path, func() error {
		b, _ := sysio.ReadFileShared(path)
		text := want + extraLines(string(b))
		if string(b) == text {
			return nil
		}
		return installFile(path, []byte(text), os.Rename)
	})
}

// extraLines are the lines of text for keys of other types than the two
// HostKeys makes.
func extraLines(text string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(text, "\n") {
		rest, ok := wildcardLine(line)
		if !ok {
			continue
		}
		if typ, _, _ := strings.Cut(rest, " "); typ != ssh.KeyAlgoECDSA256 && typ != ssh.KeyAlgoED25519 {
			b.WriteString(line)
		}
	}
	return b.String()
}

// hostKey reads the key at path, creating it with generate if missing.
func hostKey(path string, generate func() (crypto.PrivateKey, error)) (ssh.Signer, error) {
	signer, err := readHostKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createHostKey(path, generate); err != nil {
			return nil, err
		}
		signer, err = readHostKey(path)
	}
	return signer, err
}

// readHostKey parses the OpenSSH private key at path.
func readHostKey(path string) (ssh.Signer, error) {
	pemBytes, err := sysio.ReadFileShared(path)
	if err != nil {
		return nil, fmt.Errorf("read host key: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(pemBytes)
	if err != nil {
		return nil, hint.With(fmt.Errorf("parse host key %s: %w", path, err),
			fmt.Sprintf("remove %s; a new one is made on next use", path))
	}
	return signer, nil
}

func newEd25519Key() (crypto.PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	return priv, err
}

func newECDSAKey() (crypto.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// createHostKey writes a new key from generate to path unless one already
// exists. Losing the race to another process is not an error.
func createHostKey(path string, generate func() (crypto.PrivateKey, error)) error {
	priv, err := generate()
	if err != nil {
		return fmt.Errorf("generate host key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "sshshare local host key")
	if err != nil {
		return fmt.Errorf("encode host key: %w", err)
	}
	if err := installFile(path, pem.EncodeToMemory(block), linkNew); err != nil {
		return fmt.Errorf("install host key: %w", err)
	}
	return nil
}

// installFile writes b to a new temporary file beside path (mode 0600,
// synced) and puts it in place with install: os.Rename replaces what is
// there, linkNew keeps a file another process put there first.
func installFile(path string, b []byte, install func(tmp, path string) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := writeClose(tmp, b); err != nil {
		return err
	}
	return install(tmp.Name(), path)
}

// linkNew links tmp to path unless path exists already.
func linkNew(tmp, path string) error {
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// writeClose writes b to f with mode 0600, syncs and closes it.
func writeClose(f *os.File, b []byte) error {
	err := f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(b)
	}
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}
