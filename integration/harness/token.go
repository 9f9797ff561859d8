package harness

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// SoftHSMProvider is the PKCS#11 module of Debian's softhsm2, for ssh's
// PKCS11Provider.
const SoftHSMProvider = "/usr/lib/softhsm/libsofthsm2.so"

// tokenPrograms are what NewToken runs, and their Debian packages.
var tokenPrograms = [][2]string{{"softhsm2-util", "softhsm2"}}

// TokenMissing returns nil when SoftHSM2 (softhsm2-util and the module
// SoftHSMProvider) is installed, and otherwise an error naming what is
// missing. As with KDCMissing, the test decides whether to skip.
func TokenMissing() error {
	if err := missingPrograms(tokenPrograms); err != nil {
		return err
	}
	if _, err := os.Stat(SoftHSMProvider); err != nil {
		return fmt.Errorf("%s not installed: apt-get install -y --no-install-recommends softhsm2", SoftHSMProvider)
	}
	return nil
}

// Token is a SoftHSM2 PKCS#11 token in a private directory (its own
// softhsm2.conf, named by SOFTHSM2_CONF: the system's token directory
// is never read or written), holding one ECDSA P-256 key pair whose
// private half exists nowhere else. Nothing of it needs root.
//
// ssh uses the key with PKCS11Provider SoftHSMProvider and the Env, and
// asks for the PIN when it signs ("Enter PIN for 'sshshare-test': ",
// through SSH_ASKPASS when forced, never under BatchMode). With
// IdentitiesOnly yes, ssh offers a token key only when an IdentityFile
// names its public key: PublicKeyPath is that file.
type Token struct {
	Label         string // "sshshare-test"
	PIN           string
	PublicKey     string // "ecdsa-sha2-nistp256 AAAA...", for authorized_keys
	PublicKeyPath string // a file holding PublicKey, for IdentityFile
	ConfPath      string // softhsm2.conf, for SOFTHSM2_CONF
}

// NewToken initialises a token in a temporary directory and imports a
// fresh ECDSA key into it (made by ssh-keygen, imported by softhsm2-util
// --import, then the private key file deleted), and checks that ssh-keygen
// -D lists it through the module.
func NewToken(tb TB) *Token {
	tb.Helper()
	if err := TokenMissing(); err != nil {
		tb.Fatalf("%v", err)
	}
	dir := tb.TempDir()
	t := &Token{
		Label:         "sshshare-test",
		PIN:           "246810",
		PublicKeyPath: filepath.Join(dir, "token_ecdsa.pub"),
		ConfPath:      filepath.Join(dir, "softhsm2.conf"),
	}
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		tb.Fatalf("token: %v", err)
	}
	conf := fmt.Sprintf("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", tokens)
	if err := os.WriteFile(t.ConfPath, []byte(conf), 0o600); err != nil {
		tb.Fatalf("token: %v", err)
	}
	t.run(tb, "softhsm2-util", "--init-token", "--free", "--label", t.Label, "--pin", t.PIN, "--so-pin", "13579111")
	key := filepath.Join(dir, "token_ecdsa")
	// PKCS#8 PEM is what softhsm2-util --import reads.
	t.run(tb, "ssh-keygen", "-q", "-t", "ecdsa", "-b", "256", "-m", "PKCS8", "-N", "", "-C", "", "-f", key)
	t.run(tb, "softhsm2-util", "--import", key, "--token", t.Label, "--label", "ssh", "--id", "01", "--pin", t.PIN)
	if err := os.Remove(key); err != nil {
		tb.Fatalf("token: remove the imported key file: %v", err)
	}
	// ssh loads an IdentityFile it could not sign with as a private key,
	// and warns of an unprotected one at 0644.
	if err := os.Chmod(t.PublicKeyPath, 0o600); err != nil {
		tb.Fatalf("token: %v", err)
	}
	t.PublicKey = publicKeyLine(tb, t.PublicKeyPath)
	if listed := t.run(tb, "ssh-keygen", "-D", SoftHSMProvider); !strings.Contains(listed, t.PublicKey) {
		tb.Fatalf("token: ssh-keygen -D %s lists %q; want %q", SoftHSMProvider, listed, t.PublicKey)
	}
	return t
}

// Env is the environment a program using the token needs: SOFTHSM2_CONF.
// ssh passes it on to ssh-pkcs11-helper, which loads the module.
func (t *Token) Env() []string { return []string{"SOFTHSM2_CONF=" + t.ConfPath} }

// run runs program with PATH and the token's Env and returns its stdout,
// or calls tb.Fatalf.
func (t *Token) run(tb TB, program string, args ...string) string {
	tb.Helper()
	path, err := findProgram(program)
	if err != nil {
		tb.Fatalf("token: %v", err)
	}
	cmd := exec.Command(path, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, t.Env()...)
	res := Run(tb, 30*time.Second, cmd)
	if res.Code != 0 {
		tb.Fatalf("token: %s %s: %s", program, strings.Join(args, " "), res)
	}
	return string(res.Stdout)
}

// publicKeyLine returns "TYPE BASE64" of the public key file at path.
func publicKeyLine(tb TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("read public key: %v", err)
	}
	fields := strings.Fields(string(b))
	if len(fields) < 2 {
		tb.Fatalf("public key %s: malformed: %q", path, b)
	}
	return fields[0] + " " + fields[1]
}
