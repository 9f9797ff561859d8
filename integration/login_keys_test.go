//go:build unix

package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestLoginEncryptedIdentity: an IdentityFile encrypted with a passphrase
// is unlocked once, through askpass, for many connections.
func TestLoginEncryptedIdentity(t *testing.T) {
	const passphrase = "open sesame 42"
	// Only the encrypted key is authorized and configured.
	sshd, c, key, askpass := loginEncryptedKeyEnv(t, passphrase)
	bin := harness.Binary(t)
	c.AddShareHost("enc", bin, "IdentityFile "+key, "BatchMode no")

	loginRunTrue(t, c, "enc", 6)

	prompts := askpass.Prompts()
	if len(prompts) != 1 {
		t.Errorf("askpass called %d times; want 1; prompts %q", len(prompts), prompts)
	}
	if len(prompts) > 0 && !strings.Contains(prompts[0], key) {
		t.Errorf("askpass prompt %q; want it to name the key %s", prompts[0], key)
	}
	if got := sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d; want 1\nsshd log:\n%s", got, sshd.Log())
	}
	loginAssertNoSecret(t, c.Home, passphrase)
}

// TestLoginEncryptedPEMIdentity: an encrypted legacy PEM IdentityFile
// (ssh-keygen -m PEM) with no .pub beside it has no public half to offer
// until unlocked: its passphrase is asked through askpass once the login
// comes to it, as ssh asks, and the login is made with it.
func TestLoginEncryptedPEMIdentity(t *testing.T) {
	const passphrase = "open sesame 43"
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	c := harness.NewClient(t, sshd)
	key := filepath.Join(c.Home, ".ssh", "id_pem")
	loginKeygen(t, "-t", "ecdsa", "-m", "PEM", "-N", passphrase, "-C", "sshshare-test", "-f", key)
	pub := loginReadPub(t, key+".pub")
	if err := os.Remove(key + ".pub"); err != nil {
		t.Fatal(err)
	}
	loginWriteFile(t, sshd.AuthorizedKeysPath, pub+"\n")
	askpass := harness.NewAskpass(t, harness.AskpassAnswer{Match: "passphrase", Answer: passphrase})
	c.Env = append(c.Env, askpass.Env()...)
	c.AddShareHost("pem", harness.Binary(t), "IdentityFile "+key, "BatchMode no")

	loginRunTrue(t, c, "pem", 2)

	if prompts := askpass.Prompts(); len(prompts) != 1 || !strings.Contains(prompts[0], key) {
		t.Errorf("askpass prompts %q; want one, naming the key %s", prompts, key)
	}
	if got := sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d; want 1\nsshd log:\n%s", got, sshd.Log())
	}
	t.Logf("askpass prompts %d, sshd logins %d", len(askpass.Prompts()), sshd.Logins())
}

// TestLoginHostCertificate: the sshd presents a host certificate signed by
// a CA that known_hosts lists as @cert-authority (and no plain key of the
// host is known). The master accepts it; a CA it does not know is refused.
func TestLoginHostCertificate(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "host_ca")
	caPub := loginNewKey(t, ca, "")
	hostKey := filepath.Join(dir, "ssh_host_cert_key")
	loginNewKey(t, hostKey, "")
	loginKeygen(t, "-s", ca, "-I", "sshshare-test-host", "-h", "-n", "127.0.0.1", "-V", "-5m:+1h", hostKey+".pub")
	sshd := harness.StartSSHD(t, harness.SSHDOptions{Extra: "HostKey " + hostKey + "\nHostCertificate " + hostKey + "-cert.pub"})
	hostPattern := "[127.0.0.1]:" + strconv.Itoa(sshd.Port)
	bin := harness.Binary(t)

	t.Run("trusted-ca", func(t *testing.T) {
		c := harness.NewClient(t, sshd)
		c.AddShareHost("cert", bin)
		known := "@cert-authority " + hostPattern + " " + caPub + "\n"
		loginWriteFile(t, c.KnownHosts, known) // the CA only: no plain host key
		before := sshd.Logins()

		loginRunTrue(t, c, "cert", 2)

		if got := sshd.Logins() - before; got != 1 {
			t.Errorf("sshd logins = %d; want 1", got)
		}
		if got := loginReadFile(c.KnownHosts); got != known {
			t.Errorf("known_hosts became %q; want it unchanged, %q", got, known)
		}
	})

	t.Run("unknown-ca", func(t *testing.T) {
		c := harness.NewClient(t, sshd)
		c.AddShareHost("cert", bin)
		otherCA := loginNewKey(t, filepath.Join(t.TempDir(), "other_ca"), "")
		loginWriteFile(t, c.KnownHosts, "@cert-authority "+hostPattern+" "+otherCA+"\n")
		before := sshd.Logins()

		res := harness.Run(t, sshTimeout, loginNoTTY(c.SSH("cert", "true")))

		if res.Code != 255 {
			t.Errorf("ssh cert true: %s; want exit 255", res)
		}
		if len(loginSSHShareLines(res.Stderr)) == 0 {
			t.Errorf("stderr %q has no sshshare: line; want the reason", res.Stderr)
		}
		if got := sshd.Logins() - before; got != 0 {
			t.Errorf("sshd logins = %d; want 0", got)
		}
	})
}

// TestLoginHostCertificateOtherType: an ECDSA host key certified by an
// ed25519 CA. OpenSSH logs in: the CA's type says nothing of the host
// key's, so the certificate algorithms offered are not narrowed to the
// CA's type (the review saw "no common algorithm" before issue 16).
func TestLoginHostCertificateOtherType(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "host_ca")
	caPub := loginNewKey(t, ca, "")
	hostKey := filepath.Join(dir, "ssh_host_ecdsa_cert_key")
	loginKeygen(t, "-t", "ecdsa", "-N", "", "-C", "sshshare-test", "-f", hostKey)
	loginKeygen(t, "-s", ca, "-I", "sshshare-test-host", "-h", "-n", "127.0.0.1", "-V", "-5m:+1h", hostKey+".pub")
	sshd := harness.StartSSHD(t, harness.SSHDOptions{Extra: "HostKey " + hostKey + "\nHostCertificate " + hostKey + "-cert.pub"})
	c := harness.NewClient(t, sshd)
	c.AddShareHost("cert", harness.Binary(t))
	loginWriteFile(t, c.KnownHosts, "@cert-authority [127.0.0.1]:"+strconv.Itoa(sshd.Port)+" "+caPub+"\n")

	loginRunTrue(t, c, "cert", 1)

	if got := sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d; want 1", got)
	}
}

// TestLoginUserCertificate: a key that is not in authorized_keys logs in
// with a certificate from a CA the sshd trusts (TrustedUserCAKeys), found
// as KEY-cert.pub beside the key or named by CertificateFile.
func TestLoginUserCertificate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		certPath func(key string) string
		lines    func(cert string) []string
	}{
		{"beside-key", func(key string) string { return key + "-cert.pub" }, func(string) []string { return nil }},
		{"CertificateFile", func(key string) string { return filepath.Join(filepath.Dir(key), "elsewhere-cert.pub") },
			func(cert string) []string { return []string{"CertificateFile " + cert} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ca := filepath.Join(dir, "user_ca")
			loginNewKey(t, ca, "")
			sshd := harness.StartSSHD(t, harness.SSHDOptions{Extra: "TrustedUserCAKeys " + ca + ".pub"})
			c := harness.NewClient(t, sshd)
			key := filepath.Join(c.Home, ".ssh", "id_certified")
			loginNewKey(t, key, "") // not added to authorized_keys
			loginKeygen(t, "-s", ca, "-I", "sshshare-test-user", "-n", sshd.User, "-V", "-5m:+1h", key+".pub")
			cert := tc.certPath(key)
			if cert != key+"-cert.pub" {
				if err := os.Rename(key+"-cert.pub", cert); err != nil {
					t.Fatal(err)
				}
			}
			bin := harness.Binary(t)
			c.AddShareHost("ucert", bin, append([]string{"IdentityFile " + key}, tc.lines(cert)...)...)

			loginRunTrue(t, c, "ucert", 2)

			log := sshd.Log()
			if !strings.Contains(log, "ID sshshare-test-user") {
				t.Errorf("sshd log shows no login with certificate ID sshshare-test-user\nsshd log:\n%s", log)
			}
			if got := sshd.Logins(); got != 1 {
				t.Errorf("sshd logins = %d; want 1\nsshd log:\n%s", got, log)
			}
		})
	}
}
