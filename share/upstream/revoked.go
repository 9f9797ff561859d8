package upstream

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/sshshare/sshshare/share/sysio"
	"golang.org/x/crypto/ssh"
)

// RevokedHostKeys is checked before anything else about a host key, as ssh
// checks it (sshconnect.c, verify_host_key): a key or certificate listed
// there is refused whatever StrictHostKeyChecking, known_hosts or
// NoHostAuthenticationForLocalhost say, and a file that cannot be read or
// understood refuses every key, so a broken revocation list never lets a
// revoked key through.
//
// A file is either a Key Revocation List (binary, `ssh-keygen -k`) or a
// list of public keys, as ssh's sshkey_check_revoked tells them apart:
// by the KRL's magic bytes. A KRL is checked by `ssh-keygen -Q`, which is
// installed wherever ssh is: it is OpenSSH's own parser, with every
// section (explicit keys, SHA-1 and SHA-256 hashes, certificate serials,
// ranges, bitmaps and key IDs by CA), so the answer is ssh's by
// construction, where a Go reimplementation of PROTOCOL.krl would be new
// code parsing binary input that could disagree with ssh. A plain list is
// checked here, as sshkey_in_file does.

// krlMagic starts every KRL (PROTOCOL.krl).
var krlMagic = []byte("SSHKRL\n\x00")

// revocation checks host keys against RevokedHostKeys files.
type revocation struct {
	Files  []string // expanded paths
	Keygen string   // ssh-keygen binary; "" means from PATH
	Wait   time.Duration
}

// check returns a *RevokedError if any file revokes key, or an error if a
// file cannot be checked; nil only when every file was read and none
// lists the key.
func (r revocation) check(ctx context.Context, key ssh.PublicKey) error {
	for _, file := range r.Files {
		revoked, err := r.checkFile(ctx, file, key)
		if err != nil {
			return &RevokedError{Key: key, File: file, err: err}
		}
		if revoked {
			return &RevokedError{Key: key, File: file, Revoked: true}
		}
	}
	return nil
}

// checkFile reports whether file revokes key.
func (r revocation) checkFile(ctx context.Context, file string, key ssh.PublicKey) (bool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return false, err
	}
	if bytes.HasPrefix(data, krlMagic) {
		return r.inKRL(ctx, file, key)
	}
	return inKeyList(data, key), nil
}

// inKeyList reports whether a list of public keys names key, as ssh's
// sshkey_in_file(strict_type 0, check_ca 1) does: a line matches the key
// itself, the key of a certificate or plain key with the same material,
// or the CA that signed a certificate. Lines that are not keys are skipped.
func inKeyList(data []byte, key ssh.PublicKey) bool {
	want := [][]byte{plainKey(key).Marshal()}
	if cert, ok := key.(*ssh.Certificate); ok {
		want = append(want, cert.SignatureKey.Marshal())
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		listed, _, _, _, err := ssh.ParseAuthorizedKey(line)
		if err != nil {
			continue
		}
		for _, w := range want {
			if bytes.Equal(plainKey(listed).Marshal(), w) {
				return true
			}
		}
	}
	return false
}

// plainKey is the key a certificate certifies, or key itself.
func plainKey(key ssh.PublicKey) ssh.PublicKey {
	if cert, ok := key.(*ssh.Certificate); ok {
		return cert.Key
	}
	return key
}

// inKRL asks `ssh-keygen -Q -f file` about key: exit 0 is not revoked, 1
// with "REVOKED" is revoked, anything else is an error.
func (r revocation) inKRL(ctx context.Context, file string, key ssh.PublicKey) (bool, error) {
	dir, err := os.MkdirTemp("", "sshshare-krl-")
	if err != nil {
		return false, fmt.Errorf("check KRL: %w", err)
	}
	defer os.RemoveAll(dir)
	keyFile := filepath.Join(dir, "hostkey.pub")
	if err := os.WriteFile(keyFile, ssh.MarshalAuthorizedKey(key), 0o600); err != nil {
		return false, fmt.Errorf("check KRL: %w", err)
	}
	bin := r.Keygen
	if bin == "" {
		bin = "ssh-keygen"
	}
	ctx, cancel := context.WithTimeout(ctx, r.wait())
	defer cancel()
	cmd := sysio.NoWindow(exec.CommandContext(ctx, bin, "-Q", "-f", file, keyFile))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return false, nil
	case errors.As(err, &exit) && exit.ExitCode() == 1 && strings.Contains(stdout.String(), "REVOKED"):
		return true, nil
	}
	if msg := lastLine(stderr.String()); msg != "" {
		err = fmt.Errorf("%w: %s", err, msg)
	}
	return false, fmt.Errorf("%s -Q: %w", bin, err)
}

func (r revocation) wait() time.Duration {
	if r.Wait > 0 {
		return r.Wait
	}
	return 30 * time.Second
}

// RevokedError is a host key listed in RevokedHostKeys, or one that could
// not be checked against it. Either way the login is refused.
type RevokedError struct {
	Key     ssh.PublicKey
	File    string
	Revoked bool // false: the file could not be checked
	err     error
}

func (e *RevokedError) Error() string {
	if e.Revoked {
		return fmt.Sprintf("host key %s %s revoked by file %s: host key verification failed",
			keyTypeName(e.Key), ssh.FingerprintSHA256(e.Key), e.File)
	}
	return fmt.Sprintf("error checking host key %s %s in revoked keys file %s: %v: host key verification failed",
		keyTypeName(e.Key), ssh.FingerprintSHA256(e.Key), e.File, e.err)
}

func (e *RevokedError) Unwrap() error { return e.err }
