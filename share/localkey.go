package share

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
)

// HostKeyFile is the name of the local host key inside the state directory.
const HostKeyFile = "hostkey"

// KnownHostsFile is a known_hosts file in the state directory that accepts
// the local host key for any host name: listed as a second
// UserKnownHostsFile, it lets ssh accept masters without running
// KnownHostsCommand on every connection. The key is private to this user,
// so only this user's masters can present it.
const KnownHostsFile = "known_hosts"

// HostKey returns the per-user local host key that masters present to local
// ssh clients, creating it in dir on first use. The key never leaves this
// machine: it only proves to the local ssh that it reached this user's
// master. Creation is atomic (write a temporary file, then link it into
// place), so concurrent first calls agree on one key.
func HostKey(dir string) (ssh.Signer, error) {
	if err := EnsurePrivateDir(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, HostKeyFile)
	signer, err := readHostKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createHostKey(path); err != nil {
			return nil, err
		}
		signer, err = readHostKey(path)
	}
	if err != nil {
		return nil, err
	}
	return signer, writeKnownHosts(dir, signer)
}

// writeKnownHosts writes KnownHostsFile for signer unless it is there.
func writeKnownHosts(dir string, signer ssh.Signer) error {
	path := filepath.Join(dir, KnownHostsFile)
	want := KnownHostsLine("*", signer) + "\n"
	if b, err := os.ReadFile(path); err == nil && string(b) == want {
		return nil
	}
	tmp, err := os.CreateTemp(dir, KnownHostsFile+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := writeClose(tmp, []byte(want)); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// readHostKey parses the OpenSSH private key at path.
func readHostKey(path string) (ssh.Signer, error) {
	pemBytes, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read host key: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(pemBytes)
	if err != nil {
		return nil, withHint(fmt.Errorf("parse host key %s: %w", path, err),
			fmt.Sprintf("remove %s; a new one is made on next use", path))
	}
	return signer, nil
}

// createHostKey writes a new ed25519 key to path unless one already exists.
// Losing the race to another process is not an error.
func createHostKey(path string) error {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("generate host key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "sshshare local host key")
	if err != nil {
		return fmt.Errorf("encode host key: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), HostKeyFile+".*.tmp")
	if err != nil {
		return fmt.Errorf("create host key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := writeClose(tmp, pem.EncodeToMemory(block)); err != nil {
		return fmt.Errorf("write host key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("install host key: %w", err)
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

// KnownHostsLine is the known_hosts line that makes ssh accept signer as the
// key of host: "host ssh-ed25519 AAAA...".
func KnownHostsLine(host string, signer ssh.Signer) string {
	return host + " " + string(bytes.TrimSpace(ssh.MarshalAuthorizedKey(signer.PublicKey())))
}
