package integration

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestShareClientAlgorithms: an ssh whose Ciphers, KexAlgorithms and MACs
// leave out every algorithm the local hop prefers (AES-GCM, curve25519,
// P-256) works through sshshare as it does without it. Options on ssh's
// command line are part of the upstream view, as they are for plain ssh
// (so each list is one the sshd accepts too) and key the master: one
// login per list, however many ssh use it.
func TestShareClientAlgorithms(t *testing.T) {
	e := newShareEnv(t, harness.SSHDOptions{})
	lists := [][]string{
		{"-o", "Ciphers=aes128-ctr", "-o", "KexAlgorithms=diffie-hellman-group16-sha512", "-o", "MACs=hmac-sha2-256"},
		{"-o", "Ciphers=chacha20-poly1305@openssh.com", "-o", "MACs=hmac-sha2-512-etm@openssh.com"},
		{"-o", "Ciphers=aes256-ctr", "-o", "KexAlgorithms=diffie-hellman-group14-sha256"},
	}
	for range 2 {
		for _, opts := range lists {
			args := append(append([]string{}, opts...), shareHost, "echo", "ok")
			res := harness.Run(t, sshTimeout, e.c.SSH(args...))
			if res.Code != 0 || string(res.Stdout) != "ok\n" {
				t.Errorf("ssh %s: %s; want exit 0 and %q", strings.Join(opts, " "), res, "ok\n")
			}
		}
	}
	if got := e.sshd.Logins(); got != len(lists) {
		t.Errorf("sshd logins: %d; want %d", got, len(lists))
	}
}

// TestShareHostBlockAlgorithms: Ciphers, KexAlgorithms and
// HostKeyAlgorithms in the Host block that has sshshare's line hold on
// both hops: the upstream uses them (sshd's DEBUG1 log says so), and the
// local hop, whose client takes no ECDSA P-256 or ed25519 host key, is
// shown an RSA local key that ssh accepts through sshshare's known_hosts.
func TestShareHostBlockAlgorithms(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{HostKeyTypes: []string{"rsa"}, Extra: "LogLevel DEBUG1\nSetEnv HOME=" + t.TempDir()})
	c := harness.NewClient(t, sshd)
	algorithmsTrust(t, c, "rsa")
	bin := harness.Binary(t)
	c.AddShareHost(shareHost, bin, "Ciphers aes128-ctr", "KexAlgorithms diffie-hellman-group16-sha512", "HostKeyAlgorithms rsa-sha2-512")
	for i := range 3 {
		res := harness.Run(t, sshTimeout, c.SSH(shareHost, "echo", "ok"))
		if res.Code != 0 || string(res.Stdout) != "ok\n" {
			t.Fatalf("ssh %d: %s; want exit 0 and %q", i, res, "ok\n")
		}
	}
	log := sshd.Log()
	for _, want := range []string{
		"kex: algorithm: diffie-hellman-group16-sha512",
		"kex: host key algorithm: rsa-sha2-512",
		"kex: client->server cipher: aes128-ctr ",
		"kex: server->client cipher: aes128-ctr ",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("sshd log has no %q: the upstream did not use the Host block's algorithms\nlog:\n%s", want, log)
		}
	}
	logins := sshd.Logins()
	kh, _ := os.ReadFile(c.LocalKnownHosts())
	rsaLines := strings.Count(string(kh), "\n* ssh-rsa ")
	t.Logf("3 ssh: exit 0 each; sshd logins %d; local known_hosts lines %d, RSA %d",
		logins, strings.Count(string(kh), "\n"), rsaLines)
	if logins != 1 {
		t.Errorf("sshd logins: %d; want 1", logins)
	}
	if rsaLines != 1 {
		t.Errorf("local known_hosts: %d RSA lines; want 1:\n%s", rsaLines, kh)
	}
}

// TestShareSHA1OnlyServer: a server offering only SHA-1 key exchange and
// an ssh-rsa host key is refused as plain ssh refuses it (exit 255, the
// keyword named, no login); with the user's `+` lines, as plain ssh needs,
// it works.
func TestShareSHA1OnlyServer(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{HostKeyTypes: []string{"rsa"},
		Extra: "KexAlgorithms diffie-hellman-group14-sha1\nHostKeyAlgorithms ssh-rsa\nSetEnv HOME=" + t.TempDir()})
	bin := harness.Binary(t)

	refused := harness.NewClient(t, sshd)
	algorithmsTrust(t, refused, "rsa")
	refused.AddHost("plain")
	refused.AddShareHost(shareHost, bin)
	plain := harness.Run(t, sshTimeout, refused.SSH("plain", "true"))
	res := harness.Run(t, sshTimeout, refused.SSH(shareHost, "true"))
	lines := algorithmsSSHShareLines(res.Stderr)
	t.Logf("plain ssh: exit %d; through sshshare: exit %d, %q; sshd logins %d\nstderr:\n%s", plain.Code, res.Code, lines, sshd.Logins(), res.Stderr)
	if plain.Code != 255 {
		t.Errorf("plain ssh: %s; want exit 255 (the server is meant to be refused)", plain)
	}
	want := "KexAlgorithms"
	if openSSHEngine() {
		want = "no matching key exchange method found" // ssh's own
	}
	if res.Code != 255 || len(lines) != 1 || !strings.Contains(lines[0], want) {
		t.Errorf("ssh through sshshare: %s; want exit 255 and one sshshare: line with %q", res, want)
	}
	if got := sshd.Logins(); got != 0 {
		t.Errorf("sshd logins: %d; want 0", got)
	}

	allowed := harness.NewClient(t, sshd)
	algorithmsTrust(t, allowed, "rsa")
	allowed.AddShareHost(shareHost, bin, "KexAlgorithms +diffie-hellman-group14-sha1", "HostKeyAlgorithms +ssh-rsa")
	for i := range 2 {
		res := harness.Run(t, sshTimeout, allowed.SSH(shareHost, "echo", "ok"))
		if res.Code != 0 || string(res.Stdout) != "ok\n" {
			t.Fatalf("ssh %d with +diffie-hellman-group14-sha1 +ssh-rsa: %s; want exit 0 and %q", i, res, "ok\n")
		}
	}
	t.Logf("with the + lines: 2 ssh exit 0; sshd logins %d", sshd.Logins())
	if got := sshd.Logins(); got != 1 {
		t.Errorf("sshd logins: %d; want 1", got)
	}
}

// TestShareUnsupportedAlgorithms: a list of which sshshare implements
// nothing fails before any connection, naming the keyword.
func TestShareUnsupportedAlgorithms(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{Extra: "SetEnv HOME=" + t.TempDir()})
	c := harness.NewClient(t, sshd)
	c.Env = append(c.Env, harness.EngineEnv+"=go") // auto would take the OpenSSH engine
	bin := harness.Binary(t)
	c.AddShareHost(shareHost, bin, "Ciphers aes256-cbc")
	before := strings.Count(sshd.Log(), "Connection from ")
	res := harness.Run(t, sshTimeout, c.SSH(shareHost, "true"))
	lines := algorithmsSSHShareLines(res.Stderr)
	after := strings.Count(sshd.Log(), "Connection from ")
	t.Logf("exit %d, %q; sshd connections during the run %d", res.Code, lines, after-before)
	if res.Code != 255 || len(lines) != 1 || !strings.HasPrefix(lines[0], "sshshare: Ciphers aes256-cbc: none of these is supported (supported: ") {
		t.Errorf("ssh: %s; want exit 255 and one line `sshshare: Ciphers aes256-cbc: none of these is supported (supported: ...)`", res)
	}
	if after != before {
		t.Errorf("sshd saw %d connections; want none\nlog:\n%s", after-before, sshd.Log())
	}
}

// algorithmsTrust adds the sshd's host key of typ to the client's
// known_hosts.
func algorithmsTrust(t *testing.T, c *harness.Client, typ string) {
	t.Helper()
	f, err := os.OpenFile(c.KnownHosts, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "[%s]:%d %s\n", c.SSHD.Host, c.SSHD.Port, c.SSHD.HostKeys[typ]); err != nil {
		t.Fatal(err)
	}
}

// algorithmsSSHShareLines returns sshshare's lines on stderr, hints left
// out.
func algorithmsSSHShareLines(stderr []byte) []string {
	var out []string
	for _, line := range strings.Split(string(stderr), "\n") {
		if strings.HasPrefix(line, "sshshare:") && !strings.HasPrefix(line, "sshshare: hint:") {
			out = append(out, line)
		}
	}
	return out
}

// TestShareExtraLocalKeyOldBuild: the RSA line this build adds to the
// local known_hosts survives the protocol-1 release, which rewrites that
// file to its two lines whenever it reads anything else: the release still
// works with the file (its `known-hosts` and a master of its own), and the
// running master of this build puts the line back before its next
// RSA-only client, which exits 0.
func TestShareExtraLocalKeyOldBuild(t *testing.T) {
	oldBin := release1.bin(t)
	sshd := harness.StartSSHD(t, harness.SSHDOptions{HostKeyTypes: []string{"rsa"}, Extra: "SetEnv HOME=" + t.TempDir()})
	c := harness.NewClient(t, sshd)
	algorithmsTrust(t, c, "rsa")
	bin := harness.Binary(t)
	c.AddShareHost("rsa", bin, "HostKeyAlgorithms rsa-sha2-512")
	// Another HostName, so the release starts a master of its own.
	c.AddShareHost("old", oldBin, "HostName localhost")
	mustOK := func(alias string) {
		t.Helper()
		res := harness.Run(t, sshTimeout, c.SSH(alias, "echo", "ok"))
		if res.Code != 0 || string(res.Stdout) != "ok\n" {
			t.Fatalf("ssh %s: %s; want exit 0 and %q", alias, res, "ok\n")
		}
	}
	rsaLines := func() int {
		kh, _ := os.ReadFile(c.LocalKnownHosts())
		return strings.Count(string(kh), "* ssh-rsa ")
	}

	mustOK("rsa")
	afterNew := rsaLines()
	host := fmt.Sprintf("[%s]:%d", sshd.Host, sshd.Port)
	kh := harness.Run(t, sshTimeout, c.Command(oldBin, "known-hosts", host))
	if kh.Code != 0 || strings.Count(string(kh.Stdout), "\n") != 2 {
		t.Errorf("release's known-hosts on this build's file: %s; want exit 0 and its two lines", kh)
	}
	afterOld := rsaLines()
	mustOK("old")
	mustOK("rsa")
	t.Logf("RSA lines in the local known_hosts: %d after this build, %d after the release's known-hosts, %d after the next RSA-only ssh; sshd logins %d",
		afterNew, afterOld, rsaLines(), sshd.Logins())
	if afterNew != 1 || rsaLines() != 1 {
		t.Errorf("RSA lines: %d after the first ssh, %d at the end; want 1 and 1", afterNew, rsaLines())
	}
	if got := sshd.Logins(); got != 2 {
		t.Errorf("sshd logins: %d; want 2 (one per master)", got)
	}
}
