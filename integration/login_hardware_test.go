//go:build unix

package integration

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
	"golang.org/x/crypto/ssh"
)

// loginNewSKKey writes an sk-ssh-ed25519@openssh.com (FIDO) private key
// file at path in OpenSSH's format, as `ssh-keygen -t ed25519-sk` would
// with a device (none is needed to read it; signing needs one), and returns
// its public key line.
func loginNewSKKey(t *testing.T, path string) string {
	t.Helper()
	pk, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const keyType, app = "sk-ssh-ed25519@openssh.com", "ssh:"
	pub := ssh.Marshal(struct {
		Type, Key, App string
	}{keyType, string(pk), app})
	handle := make([]byte, 32)
	rand.Read(handle)
	priv := ssh.Marshal(struct {
		Check1, Check2 uint32
		Type, Key, App string
		Flags          uint8
		Handle         string
		Reserved       string
		Comment        string
	}{7, 7, keyType, string(pk), app, 1, string(handle), "", "sshshare-test-sk"})
	for i := byte(1); len(priv)%8 != 0; i++ {
		priv = append(priv, i)
	}
	body := append([]byte("openssh-key-v1\x00"), ssh.Marshal(struct {
		Cipher, KDF, KDFOpts string
		N                    uint32
		Pub, Priv            string
	}{"none", "none", "", 1, string(pub), string(priv)})...)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "OPENSSH PRIVATE KEY", Bytes: body}), 0o600); err != nil {
		t.Fatal(err)
	}
	line := keyType + " " + strings.TrimSpace(strings.SplitN(string(ssh.MarshalAuthorizedKey(mustParsePub(t, pub))), " ", 2)[1])
	if err := os.WriteFile(path+".pub", []byte(line+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return line
}

func mustParsePub(t *testing.T, b []byte) ssh.PublicKey {
	t.Helper()
	pub, err := ssh.ParsePublicKey(b)
	if err != nil {
		t.Fatalf("parse sk public key: %v", err)
	}
	return pub
}

// TestLoginSecurityKeyFile: a FIDO (sk-) identity file. Not in the agent
// and accepted by the server: where ssh would ask the device to sign, the
// master refuses by name with the fix, and nothing logs in. Not accepted
// by the server: it is passed over and another key logs in. Held by the
// agent (which cannot sign with it here: no device): the master, like ssh,
// goes on to the next key.
func TestLoginSecurityKeyFile(t *testing.T) {
	bin := harness.Binary(t)

	t.Run("accepted-not-in-agent", func(t *testing.T) {
		sshd := harness.StartSSHD(t, harness.SSHDOptions{})
		c := harness.NewClient(t, sshd)
		sk := filepath.Join(c.Home, ".ssh", "id_ed25519_sk")
		loginWriteFile(t, sshd.AuthorizedKeysPath, loginNewSKKey(t, sk)+"\n")
		c.AddShareHost("sk", bin, "IdentityFile "+sk)
		// The Go engine's refusal: the OpenSSH engine asks the device itself.
		c.Env = append(c.Env, harness.EngineEnv+"=go")

		res := harness.Run(t, sshTimeout, loginNoTTY(c.SSH("sk", "true")))

		lines := loginSSHShareLines(res.Stderr)
		t.Logf("ssh sk true: exit %d; sshshare lines %q; sshd logins %d", res.Code, lines, sshd.Logins())
		if res.Code != 255 {
			t.Errorf("exit %d; want 255", res.Code)
		}
		if len(lines) < 2 || !strings.Contains(lines[0], "security key (FIDO) identity file "+sk+" is not supported by the master") ||
			!strings.Contains(lines[1], "hint: load it into your agent: ssh-add "+sk) {
			t.Errorf("stderr %q; want the refusal naming %s and the ssh-add hint", res.Stderr, sk)
		}
		if got := sshd.Logins(); got != 0 {
			t.Errorf("sshd logins = %d; want 0", got)
		}
	})

	t.Run("not-accepted", func(t *testing.T) {
		sshd := harness.StartSSHD(t, harness.SSHDOptions{})
		c := harness.NewClient(t, sshd)
		sk := filepath.Join(c.Home, ".ssh", "id_ed25519_sk")
		loginNewSKKey(t, sk) // not authorized; the client's own key is
		c.AddShareHost("sk", bin, "IdentityFile "+sk, "IdentityFile "+c.KeyPath)

		loginRunTrue(t, c, "sk", 2)

		if got := sshd.Logins(); got != 1 {
			t.Errorf("sshd logins = %d; want 1", got)
		}
	})

	t.Run("in-agent", func(t *testing.T) {
		sock := loginStartAgent(t)
		sshd := harness.StartSSHD(t, harness.SSHDOptions{})
		c := harness.NewClient(t, sshd)
		sk := filepath.Join(c.Home, ".ssh", "id_ed25519_sk")
		loginWriteFile(t, sshd.AuthorizedKeysPath, loginNewSKKey(t, sk)+"\n"+loginReadPub(t, c.KeyPath+".pub")+"\n")
		loginSSHAdd(t, c, sock, sk)
		c.Env = append(c.Env, "SSH_AUTH_SOCK="+sock)
		c.AddShareHost("sk", bin, "IdentityFile "+sk, "IdentityFile "+c.KeyPath)

		loginRunTrue(t, c, "sk", 2)

		log := sshd.Log()
		t.Logf("sshd logins %d; failed attempts (the sk key declined) %d", sshd.Logins(), strings.Count(log, "Failed publickey"))
		if got := sshd.Logins(); got != 1 {
			t.Errorf("sshd logins = %d; want 1", got)
		}
		if fp := loginFingerprint(t, c.KeyPath+".pub"); !strings.Contains(log, fp) {
			t.Errorf("sshd log shows no login with the file key %s\nsshd log:\n%s", fp, log)
		}
	})
}

// loginFakeKeygen puts an ssh-keygen first on the client's PATH that
// answers `-D PROVIDER` with the public key line pub, as a PKCS#11 token
// holding that key would, and runs the real ssh-keygen otherwise.
func loginFakeKeygen(t *testing.T, c *harness.Client, pub string) {
	t.Helper()
	real, err := exec.LookPath("ssh-keygen")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	script := "#!/bin/sh\nif [ \"$1\" = -D ]; then printf '%s\\n' '" + pub + "'; exit 0; fi\nexec " + real + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "ssh-keygen"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	c.Env = append(c.Env, "PATH="+dir+":"+os.Getenv("PATH"))
}

// TestLoginPKCS11Provider: a PKCS11Provider whose token key (listed by
// `ssh-keygen -D`, faked here: no token on the test machine) the server
// accepts, with the Go engine (auto takes the OpenSSH engine for a
// PKCS11Provider). Not in the agent: refused by name with `ssh-add -s`,
// nothing logs in. In the agent: the master logs in through it.
func TestLoginPKCS11Provider(t *testing.T) {
	bin := harness.Binary(t)
	const provider = "/usr/lib/sshshare-test-pkcs11.so"

	t.Run("not-in-agent", func(t *testing.T) {
		sshd := harness.StartSSHD(t, harness.SSHDOptions{})
		c := harness.NewClient(t, sshd)
		c.Env = append(c.Env, harness.EngineEnv+"=go")
		token := filepath.Join(t.TempDir(), "token_key")
		pub := loginNewKey(t, token, "")
		loginWriteFile(t, sshd.AuthorizedKeysPath, pub+"\n")
		loginFakeKeygen(t, c, pub)
		c.AddShareHost("p11", bin, "PKCS11Provider "+provider, "IdentityFile none")

		res := harness.Run(t, sshTimeout, loginNoTTY(c.SSH("p11", "true")))

		lines := loginSSHShareLines(res.Stderr)
		t.Logf("ssh p11 true: exit %d; sshshare lines %q; sshd logins %d", res.Code, lines, sshd.Logins())
		if res.Code != 255 {
			t.Errorf("exit %d; want 255", res.Code)
		}
		if len(lines) < 2 || !strings.Contains(lines[0], "PKCS11Provider "+provider+" is not supported by the master") ||
			!strings.Contains(lines[1], "hint: load it into your agent: ssh-add -s "+provider) {
			t.Errorf("stderr %q; want the refusal naming the provider and the ssh-add -s hint", res.Stderr)
		}
		if got := sshd.Logins(); got != 0 {
			t.Errorf("sshd logins = %d; want 0", got)
		}
	})

	t.Run("in-agent", func(t *testing.T) {
		sock := loginStartAgent(t)
		sshd := harness.StartSSHD(t, harness.SSHDOptions{})
		c := harness.NewClient(t, sshd)
		c.Env = append(c.Env, harness.EngineEnv+"=go")
		token := filepath.Join(t.TempDir(), "token_key")
		pub := loginNewKey(t, token, "")
		loginWriteFile(t, sshd.AuthorizedKeysPath, pub+"\n")
		loginSSHAdd(t, c, sock, token) // what ssh-add -s would have loaded
		loginFakeKeygen(t, c, pub)
		c.Env = append(c.Env, "SSH_AUTH_SOCK="+sock)
		c.AddShareHost("p11", bin, "PKCS11Provider "+provider, "IdentityFile none")

		loginRunTrue(t, c, "p11", 2)

		if got := sshd.Logins(); got != 1 {
			t.Errorf("sshd logins = %d; want 1", got)
		}
	})
}

// TestLoginGSSAPI: GSSAPIAuthentication yes (Debian's ssh_config sets it
// for every host) changes nothing where the server takes a key; a server
// that takes only gssapi-with-mic is refused by name, where a bare
// "unable to authenticate" was printed before.
func TestLoginGSSAPI(t *testing.T) {
	bin := harness.Binary(t)

	t.Run("yes-with-key", func(t *testing.T) {
		sshd := harness.StartSSHD(t, harness.SSHDOptions{Extra: "GSSAPIAuthentication yes"})
		c := harness.NewClient(t, sshd)
		c.AddShareHost("gss", bin, "GSSAPIAuthentication yes")
		loginRunTrue(t, c, "gss", 2)
		if got := sshd.Logins(); got != 1 {
			t.Errorf("sshd logins = %d; want 1", got)
		}
	})

	t.Run("gssapi-only-server", func(t *testing.T) {
		sshd := harness.StartSSHD(t, harness.SSHDOptions{Extra: "GSSAPIAuthentication yes\nAuthenticationMethods gssapi-with-mic"})
		c := harness.NewClient(t, sshd)
		c.AddShareHost("gss", bin, "GSSAPIAuthentication yes")
		// The Go engine's refusal: the OpenSSH engine tries Kerberos itself
		// (TestGSSAPIEngine).
		c.Env = append(c.Env, harness.EngineEnv+"=go")

		res := harness.Run(t, sshTimeout, loginNoTTY(c.SSH("gss", "true")))

		lines := loginSSHShareLines(res.Stderr)
		t.Logf("ssh gss true: exit %d; sshshare lines %q", res.Code, lines)
		if res.Code != 255 {
			t.Errorf("exit %d; want 255", res.Code)
		}
		if len(lines) < 2 || !strings.Contains(lines[0], "GSSAPI (Kerberos) authentication is not supported by the master") || !strings.Contains(lines[1], "hint:") {
			t.Errorf("stderr %q; want the GSSAPI refusal and a hint", res.Stderr)
		}
		if got := sshd.Logins(); got != 0 {
			t.Errorf("sshd logins = %d; want 0", got)
		}
	})
}
