package upstream

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/sshtest"
	"github.com/sshshare/sshshare/tokens"
	"golang.org/x/crypto/ssh"
)

func TestSplitArgv(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"/bin/cmd %H", []string{"/bin/cmd", "%H"}},
		{"  /bin/cmd\t a  b ", []string{"/bin/cmd", "a", "b"}},
		{`"/opt/my dir/cmd" 'x y' z`, []string{"/opt/my dir/cmd", "x y", "z"}},
		{`/bin/cmd a\ b c\"d e\\f g\x`, []string{"/bin/cmd", "a b", `c"d`, `e\f`, `g\x`}},
		{`/bin/cmd "a\ b"`, []string{"/bin/cmd", `a\ b`}},
		{`/bin/cmd ab"cd ef"gh`, []string{"/bin/cmd", "abcd efgh"}},
		{"", nil},
	}
	for _, tt := range tests {
		got, err := splitArgv(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitArgv(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := splitArgv(`/bin/cmd "open`); !errors.Is(err, errBadQuotes) {
		t.Errorf("unclosed quote: got %v; want errBadQuotes", err)
	}
}

// TestKnownHostsCommandTokens: every word but the program is expanded with
// the common tokens and %H %I %t %f %K; the ORDER run has no key.
func TestKnownHostsCommandTokens(t *testing.T) {
	key := sshtest.NewKey(t).PublicKey()
	v := tokens.Values{RemoteUser: "bob", Host: "h.example", Port: "2222", Alias: "h", Home: "/home/bob", UID: "1000", LocalUser: "bob", LocalHost: "box.lan"}
	c, err := newKnownHostsCommand(context.Background(), "/bin/%h %H %I %t %f %K %n %r %p %%", v, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.expand(invocationHostname, "[h.example]:2222", key)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/bin/%h", "[h.example]:2222", "HOSTNAME", key.Type(), ssh.FingerprintSHA256(key), base64Key(key), "h", "bob", "2222", "%"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("HOSTNAME run: got %q; want %q", got, want)
	}
	got, err = c.expand(invocationOrder, "[h.example]:2222", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got[2] != "ORDER" || got[3] != "NONE" || got[4] != "NONE" || got[5] != "NONE" {
		t.Errorf("ORDER run: got %q; want ORDER NONE NONE NONE", got)
	}
}

// TestKnownHostsCommandNotRun: ssh runs neither a program given by a
// relative path nor sshshare's own known-hosts (the local hop's line).
func TestKnownHostsCommandNotRun(t *testing.T) {
	for _, line := range []string{"", "none", "/usr/local/bin/sshshare known-hosts %H"} {
		if c, err := newKnownHostsCommand(context.Background(), line, tokens.Values{}, time.Second); c != nil || err != nil {
			t.Errorf("%q: got %v, %v; want nil, nil", line, c, err)
		}
	}
	c, err := newKnownHostsCommand(context.Background(), "lookup-keys %H", tokens.Values{}, time.Second)
	if err != nil || c == nil || !strings.Contains(c.skipped, "absolute path") {
		t.Fatalf("relative: got %+v, %v; want skipped for its path", c, err)
	}
	if out, err := c.lines(invocationOrder, "h", nil); out != nil || err != nil {
		t.Errorf("relative: ran and got %q, %v", out, err)
	}
}

// script writes an executable shell script and returns its path.
func script(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cmd.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// commandCheck is a hostKeyCheck with no files and KnownHostsCommand line.
func commandCheck(t *testing.T, strict, line string) *hostKeyCheck {
	t.Helper()
	user, global := hostKeyFiles(t)
	c := newCheck(t, user, global, strict, "")
	cmd, err := newKnownHostsCommand(context.Background(), line, tokens.Values{}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.Command = cmd
	return c
}

func TestKnownHostsCommandLines(t *testing.T) {
	sshtest.SkipOnWindows(t, "the KnownHostsCommand here is a /bin/sh script")
	key := sshtest.NewKey(t).PublicKey()
	other := sshtest.NewKey(t).PublicKey()

	known := commandCheck(t, "true", script(t, `echo "$1 `+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))+`"`)+" %H")
	if err := verify(known, "example.com", 2222, key); err != nil {
		t.Errorf("key the command prints: got %v; want nil", err)
	}
	if got := algorithmsOf(t, known, "example.com", 2222); !reflect.DeepEqual(got, []string{ssh.KeyAlgoED25519}) {
		t.Errorf("algorithms from the ORDER run: got %v; want [%s]", got, ssh.KeyAlgoED25519)
	}
	err := verify(known, "example.com", 2222, other)
	var hk *HostKeyError
	if !errors.As(err, &hk) || !hk.Changed || !strings.Contains(err.Error(), "KnownHostsCommand's output") {
		t.Errorf("other key: got %v; want a changed key named as from KnownHostsCommand's output", err)
	}
	if strings.Contains(hint.Of(err), "ssh-keygen") {
		t.Errorf("changed key from the command: hint %q names a file to edit", hint.Of(err))
	}

	failing := commandCheck(t, "false", script(t, "echo broken >&2; exit 3")+" %H")
	err = verify(failing, "example.com", 22, key)
	var ce *KnownHostsCommandError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "broken") {
		t.Errorf("failing command: got %v; want a KnownHostsCommandError with its stderr, even with StrictHostKeyChecking no", err)
	}
}

// TestLocalhostSkip: NoHostAuthenticationForLocalhost accepts any key from
// a loopback address the master dialled, and nothing else.
func TestLocalhostSkip(t *testing.T) {
	key := sshtest.NewKey(t).PublicKey()
	loop4 := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 22}
	loop6 := &net.TCPAddr{IP: net.IPv6loopback, Port: 22}
	remote := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 22}
	tests := []struct {
		name       string
		on, direct bool
		alias      string
		addr       net.Addr
		want       bool
	}{
		{"127.0.0.2", true, true, "", loop4, true},
		{"::1", true, true, "", loop6, true},
		{"off", false, true, "", loop4, false},
		{"not loopback", true, true, "", remote, false},
		{"HostKeyAlias", true, true, "web", loop4, false},
		{"through a transport", true, false, "", loop4, false},
		{"unix socket", true, true, "", &net.UnixAddr{Name: "/tmp/s", Net: "unix"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user, global := hostKeyFiles(t)
			c := newCheck(t, user, global, "true", tt.alias)
			c.Localhost, c.Direct = tt.on, tt.direct
			err := c.callback("localhost", 22)("localhost:22", tt.addr, key)
			if got := err == nil; got != tt.want {
				t.Errorf("accepted = %v (%v); want %v", got, err, tt.want)
			}
		})
	}
}

// TestVerifyHostKeyDNS: where ssh would weigh SSHFP records (an unknown key
// with StrictHostKeyChecking yes or ask), sshshare refuses by name.
func TestVerifyHostKeyDNS(t *testing.T) {
	key := sshtest.NewKey(t).PublicKey()
	for _, tt := range []struct {
		dns, strict, host string
		refused           bool
	}{
		{"yes", "true", "example.com", true},
		{"ask", "ask", "example.com", true},
		{"yes", "accept-new", "example.com", false},
		{"yes", "false", "example.com", false},
		{"", "true", "example.com", false},
		{"yes", "true", "192.0.2.7", false}, // ssh skips DNS for an address
		{"yes", "true", "fe80::1%eth0", false},
	} {
		user, global := hostKeyFiles(t)
		c := newCheck(t, user, global, tt.strict, "")
		c.VerifyDNS = tt.dns
		err := verify(c, tt.host, 22, key)
		if got := err != nil && strings.Contains(err.Error(), "VerifyHostKeyDNS"); got != tt.refused {
			t.Errorf("VerifyHostKeyDNS %q, StrictHostKeyChecking %s, host %s: got %v; want refused by name %v", tt.dns, tt.strict, tt.host, err, tt.refused)
		}
	}
}

func TestRevokedKeyList(t *testing.T) {
	key := sshtest.NewKey(t).PublicKey()
	other := sshtest.NewKey(t).PublicKey()
	list := filepath.Join(t.TempDir(), "revoked")
	writeLines(t, list, "# revoked", "not a key", strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))+" old-host")
	r := revocation{Files: []string{list}}

	err := r.check(context.Background(), key)
	var re *RevokedError
	if !errors.As(err, &re) || !re.Revoked || !strings.Contains(err.Error(), "revoked by file "+list) {
		t.Errorf("listed key: got %v; want revoked by file %s", err, list)
	}
	if err := r.check(context.Background(), other); err != nil {
		t.Errorf("other key: got %v; want nil", err)
	}
	// A certificate is revoked with its key or its CA.
	ca := sshtest.NewKey(t)
	cert := &ssh.Certificate{Key: other, CertType: ssh.HostCert, ValidBefore: ssh.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	writeLines(t, list, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(ca.PublicKey()))))
	if err := r.check(context.Background(), cert); !errors.As(err, &re) || !re.Revoked {
		t.Errorf("certificate by a revoked CA: got %v; want revoked", err)
	}
	missing := revocation{Files: []string{filepath.Join(t.TempDir(), "none")}}
	if err := missing.check(context.Background(), other); !errors.As(err, &re) || re.Revoked {
		t.Errorf("missing file: got %v; want a RevokedError that fails closed", err)
	}
}

func TestRevokedKRL(t *testing.T) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("no ssh-keygen")
	}
	dir := t.TempDir()
	key := sshtest.NewKey(t).PublicKey()
	other := sshtest.NewKey(t).PublicKey()
	pub := filepath.Join(dir, "host.pub")
	writeLines(t, pub, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key))))
	krl := filepath.Join(dir, "krl")
	if out, err := exec.Command("ssh-keygen", "-k", "-f", krl, pub).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -k: %v: %s", err, out)
	}
	r := revocation{Files: []string{krl}}
	var re *RevokedError
	if err := r.check(context.Background(), key); !errors.As(err, &re) || !re.Revoked {
		t.Errorf("key in the KRL: got %v; want revoked", err)
	}
	if err := r.check(context.Background(), other); err != nil {
		t.Errorf("key not in the KRL: got %v; want nil", err)
	}
	// A certificate whose CA the KRL revokes is revoked.
	ca := sshtest.NewKey(t)
	cert := &ssh.Certificate{Key: other, CertType: ssh.HostCert, ValidBefore: ssh.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	caPub := filepath.Join(dir, "ca.pub")
	writeLines(t, caPub, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(ca.PublicKey()))))
	caKRL := filepath.Join(dir, "ca.krl")
	if out, err := exec.Command("ssh-keygen", "-k", "-f", caKRL, caPub).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -k: %v: %s", err, out)
	}
	if err := (revocation{Files: []string{caKRL}}).check(context.Background(), cert); !errors.As(err, &re) || !re.Revoked {
		t.Errorf("certificate by a CA in the KRL: got %v; want revoked", err)
	}
	if err := (revocation{Files: []string{caKRL}}).check(context.Background(), key); err != nil {
		t.Errorf("plain key, CA in the KRL: got %v; want nil", err)
	}
	// A corrupt KRL fails closed.
	data, _ := os.ReadFile(krl)
	if err := os.WriteFile(krl, append(data[:len(krlMagic)], "garbage"...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := r.check(context.Background(), other); !errors.As(err, &re) || re.Revoked {
		t.Errorf("corrupt KRL: got %v; want an error that fails closed", err)
	}
}

// TestCheckHostIP: with CheckHostIP, a key accepted for the name is also
// checked under the connected address: a new address is recorded, a
// different key known for it is refused unless StrictHostKeyChecking is
// no; without CheckHostIP, or for a host given as its address, the
// address's entries play no part.
func TestCheckHostIP(t *testing.T) {
	key := sshtest.NewKey(t).PublicKey()
	other := sshtest.NewKey(t).PublicKey()
	setup := func(t *testing.T, strict string, on bool, lines ...string) (*hostKeyCheck, string) {
		t.Helper()
		user, global := hostKeyFiles(t)
		if err := os.MkdirAll(filepath.Dir(user), 0o700); err != nil {
			t.Fatal(err)
		}
		writeLines(t, user, lines...)
		c := newCheck(t, user, global, strict, "")
		c.CheckHostIP, c.Direct = on, true
		return c, user
	}
	named := knownHostsEntry("example.com", key)

	t.Run("new address recorded", func(t *testing.T) {
		c, user := setup(t, "true", true, named)
		if err := verify(c, "example.com", 22, key); err != nil {
			t.Fatalf("got %v; want nil", err)
		}
		if got := readFileOrEmpty(t, user); !strings.Contains(got, knownHostsEntry("192.0.2.1", key)) {
			t.Errorf("known_hosts %q; want the address recorded", got)
		}
	})
	t.Run("address has another key", func(t *testing.T) {
		c, _ := setup(t, "true", true, named, knownHostsEntry("192.0.2.1", other))
		err := verify(c, "example.com", 22, key)
		if err == nil || !strings.Contains(err.Error(), "IP address 192.0.2.1") || !strings.Contains(err.Error(), "CheckHostIP") {
			t.Errorf("got %v; want a refusal naming the address and CheckHostIP", err)
		}
		if !strings.Contains(hint.Of(err), "-R 192.0.2.1") {
			t.Errorf("hint %q; want the ssh-keygen -R line for the address", hint.Of(err))
		}
	})
	t.Run("StrictHostKeyChecking no", func(t *testing.T) {
		c, _ := setup(t, "false", true, named, knownHostsEntry("192.0.2.1", other))
		if err := verify(c, "example.com", 22, key); err != nil {
			t.Errorf("got %v; want nil", err)
		}
	})
	t.Run("off", func(t *testing.T) {
		c, user := setup(t, "true", false, named, knownHostsEntry("192.0.2.1", other))
		if err := verify(c, "example.com", 22, key); err != nil {
			t.Errorf("got %v; want nil", err)
		}
		if got := readFileOrEmpty(t, user); strings.Count(got, "\n") != 2 {
			t.Errorf("known_hosts %q; want it unchanged", got)
		}
	})
	t.Run("host is the address", func(t *testing.T) {
		c, _ := setup(t, "true", true, knownHostsEntry("192.0.2.1", key), knownHostsEntry("[192.0.2.1]:22", other))
		if err := verify(c, "192.0.2.1", 22, key); err != nil {
			t.Errorf("got %v; want nil", err)
		}
	})
}
