package integration

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// loginPWUser is the local account the password tests log in as. It is made
// (as root) by harness.PasswordUser; root's own password is never touched.
const loginPWUser = "sshshare-pw"

// loginRequireRoot skips t unless it runs as root, saying what needs it.
func loginRequireRoot(t *testing.T, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("needs root: %s", why)
	}
}

// loginRemoveKey deletes the client's key pair, so the client has no key
// at all (its IdentityFile names a file that does not exist).
func loginRemoveKey(t *testing.T, c *harness.Client) {
	t.Helper()
	for _, p := range []string{c.KeyPath, c.KeyPath + ".pub"} {
		if err := os.Remove(p); err != nil {
			t.Fatalf("remove client key: %v", err)
		}
	}
}

// loginKeygen runs ssh-keygen with args and fails the test if it fails.
func loginKeygen(t *testing.T, args ...string) {
	t.Helper()
	res := harness.Run(t, 30*time.Second, exec.Command("ssh-keygen", append([]string{"-q"}, args...)...))
	if res.Code != 0 {
		t.Fatalf("ssh-keygen %s: %s", strings.Join(args, " "), res)
	}
}

// loginNewKey makes an ed25519 key pair at path with the passphrase
// (empty for none) and returns its public key line without the comment.
func loginNewKey(t *testing.T, path, passphrase string) string {
	t.Helper()
	loginKeygen(t, "-t", "ed25519", "-N", passphrase, "-C", "sshshare-test", "-f", path)
	return loginReadPub(t, path+".pub")
}

// loginReadPub returns "TYPE BASE64" of a public key or certificate file.
func loginReadPub(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read public key: %v", err)
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		t.Fatalf("public key %s: malformed: %q", path, b)
	}
	return f[0] + " " + f[1]
}

// loginWriteFile writes s to path (0600) or fails the test.
func loginWriteFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}

// loginReadFile returns the contents of path, or "" if it cannot be read.
func loginReadFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// loginAuthorizedKeys writes lines to an authorized_keys file that a
// non-root account can read (sshd reads it with the user's privileges;
// t.TempDir is private to root) and returns its path. A cleanup removes it.
func loginAuthorizedKeys(t *testing.T, lines ...string) string {
	t.Helper()
	dir := shortTempDir(t, "sshshare-keys-", 0o700)
	path := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// loginSSHShareLines returns the lines of stderr that sshshare wrote.
func loginSSHShareLines(stderr []byte) []string {
	var out []string
	for _, line := range strings.Split(string(stderr), "\n") {
		if strings.HasPrefix(line, "sshshare:") {
			out = append(out, line)
		}
	}
	return out
}

// loginMasterLogs returns the log of the client's master for alias (it
// stays after the master exits), for failure messages. The socket path,
// and so the log's, comes from `sshshare path` for the alias and what
// `ssh -G` resolves: a long path is replaced by a short hashed one outside
// the client's HOME.
func loginMasterLogs(t *testing.T, c *harness.Client, alias string) string {
	t.Helper()
	res := harness.Run(t, sshTimeout, c.SSH("-G", alias))
	var user, host, port string
	for _, line := range strings.Split(string(res.Stdout), "\n") {
		switch k, v, _ := strings.Cut(line, " "); k {
		case "user":
			user = v
		case "hostname":
			host = v
		case "port":
			port = v
		}
	}
	template := filepath.Join(c.Home, ".ssh", "sshshare", "%r@%h-%p")
	res = harness.Run(t, sshTimeout, c.Command(harness.Binary(t), "path", "--control-path", template, "--alias", alias, user, host, port))
	path := strings.TrimSpace(string(res.Stdout)) + ".log"
	return "== " + path + "\n" + loginReadFile(path)
}

// loginAssertNoSecret fails the test if any file under dir contains secret:
// passwords and passphrases must live in memory only, never in a log or a
// failure record.
func loginAssertNoSecret(t *testing.T, dir, secret string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err == nil && bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s contains the secret; want it in memory only", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// loginRunTrue runs ssh through the client n times, each with `true` and no
// terminal, and fails the test unless every one exits 0. It logs the times.
func loginRunTrue(t *testing.T, c *harness.Client, alias string, n int) {
	t.Helper()
	for i := range n {
		res := harness.Run(t, sshTimeout, loginNoTTY(c.SSH(alias, "true")))
		if res.Code != 0 {
			t.Fatalf("ssh %s true (#%d): %s; want exit 0\nmaster logs:\n%s", alias, i+1, res, loginMasterLogs(t, c, alias))
		}
		t.Logf("ssh %s true #%d: %v", alias, i+1, res.Elapsed.Round(time.Millisecond))
	}
}

// loginEncryptedKeyEnv starts an sshd that authorizes only a new key,
// encrypted with passphrase (~/.ssh/id_encrypted, returned), and a client
// whose askpass answers the passphrase question.
func loginEncryptedKeyEnv(t *testing.T, passphrase string) (*harness.SSHD, *harness.Client, string, *harness.Askpass) {
	t.Helper()
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	c := harness.NewClient(t, sshd)
	key := filepath.Join(c.Home, ".ssh", "id_encrypted")
	pub := loginNewKey(t, key, passphrase)
	loginWriteFile(t, sshd.AuthorizedKeysPath, pub+"\n")
	askpass := harness.NewAskpass(t, harness.AskpassAnswer{Match: "passphrase", Answer: passphrase})
	c.Env = append(c.Env, askpass.Env()...)
	return sshd, c, key, askpass
}
