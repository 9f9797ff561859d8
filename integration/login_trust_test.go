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

// trustHostKeysFile writes every host public key of sshd to a file, one
// per line, and returns its path.
func trustHostKeysFile(t *testing.T, sshd *harness.SSHD) string {
	t.Helper()
	var lines []string
	for _, pub := range sshd.HostKeys {
		lines = append(lines, pub)
	}
	path := filepath.Join(t.TempDir(), "server_keys.pub")
	loginWriteFile(t, path, strings.Join(lines, "\n")+"\n")
	return path
}

// trustPlainSSH runs plain ssh (no sshshare) with the Host block lines, for
// what the sshshare run must match.
func trustPlainSSH(t *testing.T, sshd *harness.SSHD, lines ...string) harness.Result {
	t.Helper()
	c := harness.NewClient(t, sshd)
	c.AddHost("plain", lines...)
	return harness.Run(t, sshTimeout, loginNoTTY(c.SSH("plain", "true")))
}

// TestLoginRevokedHostKey: a RevokedHostKeys file that lists the server's
// key — a KRL made by `ssh-keygen -k` or a plain list of public keys — is
// refused before login as plain ssh refuses it, even with
// StrictHostKeyChecking no and the key in known_hosts: exit 255, one
// sshshare line saying the key is revoked, and no login on the sshd. A
// file that cannot be read refuses every key, as in ssh.
func TestLoginRevokedHostKey(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{HostKeyTypes: []string{"ecdsa"}})
	bin := harness.Binary(t)
	keys := trustHostKeysFile(t, sshd)
	krl := filepath.Join(t.TempDir(), "revoked.krl")
	loginKeygen(t, "-k", "-f", krl, keys)
	otherKRL := filepath.Join(t.TempDir(), "other.krl")
	loginKeygen(t, "-k", "-f", otherKRL, loginNewKeyPub(t))

	for _, tc := range []struct {
		name, file, want string
	}{
		{"KRL", krl, "revoked by file " + krl},
		{"key list", keys, "revoked by file " + keys},
		{"missing file", filepath.Join(t.TempDir(), "no-such-krl"), "revoked keys file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines := []string{"RevokedHostKeys " + tc.file, "StrictHostKeyChecking no"}
			plain := trustPlainSSH(t, sshd, lines...)
			if plain.Code != 255 {
				t.Fatalf("plain ssh: %s; want exit 255 (the test's premise)", plain)
			}
			c := harness.NewClient(t, sshd)
			c.AddShareHost("revoked", bin, lines...)
			before := sshd.Logins()

			res := harness.Run(t, sshTimeout, loginNoTTY(c.SSH("revoked", "true")))

			t.Logf("plain ssh: exit %d, %q", plain.Code, strings.TrimSpace(string(plain.Stderr)))
			t.Logf("sshshare: exit %d, %q", res.Code, loginSSHShareLines(res.Stderr))
			if res.Code != 255 {
				t.Errorf("ssh revoked true: %s; want exit 255\nmaster logs:\n%s", res, loginMasterLogs(t, c, "revoked"))
			}
			if lines := loginSSHShareLines(res.Stderr); len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Errorf("sshshare lines on stderr %q; want one saying %q\nfull stderr:\n%s", lines, tc.want, res.Stderr)
			}
			if got := sshd.Logins() - before; got != 0 {
				t.Errorf("sshd logins = %d; want 0 (a revoked host key must never be logged in to)\nsshd log:\n%s", got, sshd.Log())
			}
		})
	}

	t.Run("KRL of another key", func(t *testing.T) {
		c := harness.NewClient(t, sshd)
		c.AddShareHost("fine", bin, "RevokedHostKeys "+otherKRL)
		before := sshd.Logins()
		loginRunTrue(t, c, "fine", 2)
		if got := sshd.Logins() - before; got != 1 {
			t.Errorf("sshd logins = %d; want 1", got)
		}
	})
}

// loginNewKeyPub makes a throwaway ed25519 key and returns the path of its
// public half.
func loginNewKeyPub(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "other_key")
	loginNewKey(t, path, "")
	return path + ".pub"
}

// trustKnownHostsScript writes an executable script that logs its
// arguments to a file and prints one known_hosts line per host key of
// sshd for its first argument, and returns the script and log paths.
func trustKnownHostsScript(t *testing.T, sshd *harness.SSHD) (script, log string) {
	t.Helper()
	dir := t.TempDir()
	script, log = filepath.Join(dir, "known-hosts.sh"), filepath.Join(dir, "calls.log")
	body := "#!/bin/sh\necho \"$*\" >>" + log + "\n"
	for _, pub := range sshd.HostKeys {
		body += "echo \"$1 " + pub + "\"\n"
	}
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script, log
}

// TestLoginKnownHostsCommand: with no known_hosts entry for the server, a
// KnownHostsCommand that prints its key lets sshshare in, as it lets
// plain ssh in; the command is run as ssh runs it (%H, %I, %t, %f). With
// no command, or one that prints nothing for the host, the key is
// refused before login with a hint that fits.
func TestLoginKnownHostsCommand(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	bin := harness.Binary(t)
	empty := filepath.Join(t.TempDir(), "known_hosts_empty")
	loginWriteFile(t, empty, "")
	name := "[127.0.0.1]:" + strconv.Itoa(sshd.Port)

	t.Run("prints the key", func(t *testing.T) {
		script, log := trustKnownHostsScript(t, sshd)
		lines := []string{"UserKnownHostsFile " + empty, "KnownHostsCommand " + script + " %H %I %t %f"}
		if plain := trustPlainSSH(t, sshd, lines...); plain.Code != 0 {
			t.Fatalf("plain ssh: %s; want exit 0 (the test's premise)", plain)
		}
		loginWriteFile(t, log, "")
		c := harness.NewClient(t, sshd)
		c.AddShareHost("khc", bin, lines...)
		before := sshd.Logins()

		loginRunTrue(t, c, "khc", 2)

		if got := sshd.Logins() - before; got != 1 {
			t.Errorf("sshd logins = %d; want 1", got)
		}
		calls := loginReadFile(log)
		t.Logf("KnownHostsCommand calls:\n%s", calls)
		// ssh gives the ORDER run the host as it stands, the HOSTNAME
		// run its [host]:port name.
		if !strings.Contains(calls, "\n127.0.0.1 ORDER NONE NONE") && !strings.HasPrefix(calls, "127.0.0.1 ORDER NONE NONE") ||
			!strings.Contains(calls, name+" HOSTNAME ssh-ed25519 SHA256:") {
			t.Errorf("KnownHostsCommand was run with %q; want an ORDER run for 127.0.0.1 and a HOSTNAME run with the key for %s", calls, name)
		}
		if got := loginReadFile(empty); got != "" {
			t.Errorf("known_hosts became %q; want it left empty (ssh records no key a KnownHostsCommand gave)", got)
		}
	})

	for _, tc := range []struct {
		name, line, want string
	}{
		{"none", "KnownHostsCommand none", "plain ssh"},
		{"prints nothing", "KnownHostsCommand /bin/true %H", "KnownHostsCommand printed no known_hosts line for " + name},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines := []string{"UserKnownHostsFile " + empty, tc.line}
			if plain := trustPlainSSH(t, sshd, lines...); plain.Code != 255 {
				t.Fatalf("plain ssh: %s; want exit 255 (the test's premise)", plain)
			}
			c := harness.NewClient(t, sshd)
			c.AddShareHost("khc", bin, lines...)
			before := sshd.Logins()

			res := harness.Run(t, sshTimeout, loginNoTTY(c.SSH("khc", "true")))

			lines = loginSSHShareLines(res.Stderr)
			t.Logf("sshshare: exit %d, %q", res.Code, lines)
			if res.Code != 255 {
				t.Errorf("ssh khc true: %s; want exit 255", res)
			}
			unknown, hint := "is not known", tc.want
			if openSSHEngine() { // ssh's own words, and the hint for any unknown key
				unknown, hint = "No ED25519 host key is known for "+name, "known_hosts"
			}
			if len(lines) != 2 || !strings.Contains(lines[0], unknown) || !strings.HasPrefix(lines[1], "sshshare: hint:") || !strings.Contains(lines[1], hint) {
				t.Errorf("sshshare lines %q; want the unknown key (%q) and a hint with %q", lines, unknown, hint)
			}
			if got := sshd.Logins() - before; got != 0 {
				t.Errorf("sshd logins = %d; want 0", got)
			}
		})
	}
}

// TestLoginNoHostAuthenticationForLocalhost: known_hosts has a wrong key
// for the loopback target. With NoHostAuthenticationForLocalhost yes plain
// ssh logs in, and so does sshshare; with a HostKeyAlias as well, ssh
// checks the key again, and refuses it, and so does sshshare.
func TestLoginNoHostAuthenticationForLocalhost(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	bin := harness.Binary(t)
	wrong := loginNewKey(t, filepath.Join(t.TempDir(), "wrong_host_key"), "")
	known := filepath.Join(t.TempDir(), "known_hosts_wrong")
	loginWriteFile(t, known, "[127.0.0.1]:"+strconv.Itoa(sshd.Port)+" "+wrong+"\nlocalalias "+wrong+"\n")

	for _, tc := range []struct {
		name  string
		lines []string
		want  int
	}{
		{"yes", []string{"NoHostAuthenticationForLocalhost yes"}, 0},
		{"yes with HostKeyAlias", []string{"NoHostAuthenticationForLocalhost yes", "HostKeyAlias localalias"}, 255},
		{"no", []string{"NoHostAuthenticationForLocalhost no"}, 255},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines := append([]string{"UserKnownHostsFile " + known}, tc.lines...)
			plain := trustPlainSSH(t, sshd, lines...)
			if plain.Code != tc.want {
				t.Fatalf("plain ssh: %s; want exit %d (the test's premise)", plain, tc.want)
			}
			c := harness.NewClient(t, sshd)
			c.AddShareHost("local", bin, lines...)
			before := sshd.Logins()

			res := harness.Run(t, sshTimeout, loginNoTTY(c.SSH("local", "true")))

			t.Logf("plain ssh: exit %d; sshshare: exit %d, %q", plain.Code, res.Code, loginSSHShareLines(res.Stderr))
			if res.Code != tc.want {
				t.Errorf("ssh local true: %s; want exit %d\nmaster logs:\n%s", res, tc.want, loginMasterLogs(t, c, "local"))
			}
			wantLogins := 0
			if tc.want == 0 {
				wantLogins = 1
			}
			if got := sshd.Logins() - before; got != wantLogins {
				t.Errorf("sshd logins = %d; want %d", got, wantLogins)
			}
		})
	}
}
