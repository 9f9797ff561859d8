package upstream

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/sshtest"
	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

// knownHostsEntry is a known_hosts line naming pattern with key.
func knownHostsEntry(pattern string, key ssh.PublicKey) string {
	return pattern + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
}

// writeLines writes lines to a new file at path.
func writeLines(t *testing.T, path string, lines ...string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// hostKeyFiles is a user and a global known_hosts path in a temp dir,
// neither created.
func hostKeyFiles(t *testing.T) (user, global string) {
	t.Helper()
	dir := t.TempDir()
	return filepath.Join(dir, "user", "known_hosts"), filepath.Join(dir, "ssh_known_hosts")
}

// newCheck loads a hostKeyCheck for the given files and policy.
func newCheck(t *testing.T, user, global, strict, alias string) *hostKeyCheck {
	t.Helper()
	c, err := newHostKeyCheck(HostConfig{
		UserKnownHostsFiles:   []string{user},
		GlobalKnownHostsFiles: []string{global},
		StrictHostKeyChecking: strict,
		HostKeyAlias:          alias,
	})
	if err != nil {
		t.Fatalf("newHostKeyCheck: %v", err)
	}
	return c
}

// verify runs the check's callback for host:port with key, as the SSH
// handshake would.
func verify(c *hostKeyCheck, host string, port int, key ssh.PublicKey) error {
	addr := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: port}
	return c.callback(host, port)(net.JoinHostPort(host, "1"), addr, key)
}

// algorithmsOf is c.algorithms, failing the test on an error.
func algorithmsOf(t *testing.T, c *hostKeyCheck, host string, port int) []string {
	t.Helper()
	algos, err := c.algorithms(host, port)
	if err != nil {
		t.Fatalf("algorithms(%s, %d): %v", host, port, err)
	}
	return algos
}

// readFile returns path's content, or "" if it does not exist.
func readFileOrEmpty(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}

func TestHostKeyKnown(t *testing.T) {
	user, global := hostKeyFiles(t)
	key := sshtest.NewKey(t).PublicKey()
	other := sshtest.NewKey(t).PublicKey()
	writeLines(t, global,
		knownHostsEntry("example.com", key),
		knownHostsEntry("[example.com]:2222", other),
	)
	c := newCheck(t, user, global, "true", "")
	if err := verify(c, "example.com", 22, key); err != nil {
		t.Errorf("known key on port 22: got %v; want nil", err)
	}
	if err := verify(c, "example.com", 2222, other); err != nil {
		t.Errorf("known [host]:port key: got %v; want nil", err)
	}
}

func TestHostKeyChanged(t *testing.T) {
	tests := []struct {
		name    string
		port    int
		pattern string
	}{
		{"port 22", 22, "example.com"},
		{"other port", 2222, "[example.com]:2222"},
	}
	for _, tt := range tests {
		for _, strict := range []string{"true", "accept-new", "false", "ask"} {
			t.Run(tt.name+"/"+strict, func(t *testing.T) {
				user, global := hostKeyFiles(t)
				if err := os.MkdirAll(filepath.Dir(user), 0o700); err != nil {
					t.Fatal(err)
				}
				old := sshtest.NewKey(t).PublicKey()
				writeLines(t, user,
					knownHostsEntry("unrelated.example", sshtest.NewKey(t).PublicKey()),
					knownHostsEntry(tt.pattern, old),
				)
				before := readFileOrEmpty(t, user)
				c := newCheck(t, user, global, strict, "")
				c.Prompter = &scriptedPrompter{answers: []string{"yes"}}
				now := sshtest.NewKey(t).PublicKey()

				err := verify(c, "example.com", tt.port, now)
				var hk *HostKeyError
				if !errors.As(err, &hk) {
					t.Fatalf("got %v; want a *HostKeyError", err)
				}
				if !hk.Changed {
					t.Errorf("Changed: got false; want true")
				}
				if want := user + ":2"; !strings.Contains(err.Error(), want) {
					t.Errorf("message %q does not name %s", err, want)
				}
				if fp := ssh.FingerprintSHA256(now); !strings.Contains(err.Error(), fp) {
					t.Errorf("message %q does not show the new key %s", err, fp)
				}
				wantHint := "ssh-keygen -f " + user + " -R " + tt.pattern
				if got := hint.Of(err); !strings.Contains(got, wantHint) {
					t.Errorf("hint: got %q; want it to contain %q", got, wantHint)
				}
				if after := readFileOrEmpty(t, user); after != before {
					t.Errorf("known_hosts changed on a refused key:\n%s", after)
				}
			})
		}
	}
}

func TestHostKeyUnknownRefused(t *testing.T) {
	for _, strict := range []string{"true", "yes", "", "ask"} {
		t.Run("strict="+strict, func(t *testing.T) {
			user, global := hostKeyFiles(t)
			c := newCheck(t, user, global, strict, "") // "ask" without a Prompter refuses
			key := sshtest.NewKey(t).PublicKey()
			err := verify(c, "example.com", 22, key)
			var hk *HostKeyError
			if !errors.As(err, &hk) {
				t.Fatalf("got %v; want a *HostKeyError", err)
			}
			if hk.Changed {
				t.Error("Changed: got true; want false")
			}
			if !strings.Contains(err.Error(), "not known") || !strings.Contains(err.Error(), ssh.FingerprintSHA256(key)) {
				t.Errorf("message %q: want it to say not known and show the fingerprint", err)
			}
			if got := hint.Of(err); !strings.Contains(got, "StrictHostKeyChecking accept-new") {
				t.Errorf("hint: got %q; want it to mention StrictHostKeyChecking accept-new", got)
			}
			if got := readFileOrEmpty(t, user); got != "" {
				t.Errorf("known_hosts written on a refused key: %q", got)
			}
		})
	}
}

func TestHostKeyAcceptNew(t *testing.T) {
	tests := []struct {
		name    string
		port    int
		pattern string
	}{
		{"port 22", 22, "example.com"},
		{"other port", 2222, "[example.com]:2222"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user, global := hostKeyFiles(t)
			key := sshtest.NewKey(t).PublicKey()
			c := newCheck(t, user, global, "accept-new", "")
			if err := verify(c, "example.com", tt.port, key); err != nil {
				t.Fatalf("first connection: got %v; want nil", err)
			}
			want := knownHostsEntry(tt.pattern, key) + "\n"
			if got := readFileOrEmpty(t, user); got != want {
				t.Errorf("user known_hosts: got %q; want %q", got, want)
			}
			if got := readFileOrEmpty(t, global); got != "" {
				t.Errorf("global known_hosts written: %q", got)
			}
			sshtest.WantMode(t, user, 0o600)

			next := newCheck(t, user, global, "true", "")
			if err := verify(next, "example.com", tt.port, key); err != nil {
				t.Errorf("next connection, same key: got %v; want nil", err)
			}
			var hk *HostKeyError
			if err := verify(next, "example.com", tt.port, sshtest.NewKey(t).PublicKey()); !errors.As(err, &hk) || !hk.Changed {
				t.Errorf("next connection, other key: got %v; want a changed-key error", err)
			}
		})
	}
}

func TestHostKeyAcceptNewNoFile(t *testing.T) {
	c, err := newHostKeyCheck(HostConfig{StrictHostKeyChecking: "accept-new"})
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(c, "example.com", 22, sshtest.NewKey(t).PublicKey()); err == nil {
		t.Error("got nil; want an error when there is no known_hosts file to record in")
	}
}

// TestHostKeyNoCheck: StrictHostKeyChecking no accepts an unknown key and
// records it, as ssh does ("Permanently added"), unless the file is
// /dev/null, where ssh still says so.
func TestHostKeyNoCheck(t *testing.T) {
	for _, strict := range []string{"false", "no", "off"} {
		t.Run(strict, func(t *testing.T) {
			user, global := hostKeyFiles(t)
			c := newCheck(t, user, global, strict, "")
			var notes []string
			c.Note = func(l string) { notes = append(notes, l) }
			key := sshtest.NewKey(t).PublicKey()
			if err := verify(c, "example.com", 2222, key); err != nil {
				t.Errorf("got %v; want nil", err)
			}
			if got := readFileOrEmpty(t, user); got != knownHostsEntry("[example.com]:2222", key)+"\n" {
				t.Errorf("known_hosts %q; want the key recorded", got)
			}
			want := "Warning: Permanently added '[example.com]:2222' (" + keyTypeName(key) + ") to the list of known hosts."
			if len(notes) != 1 || notes[0] != want {
				t.Errorf("notes %q; want [%q]", notes, want)
			}
		})
	}
	t.Run("/dev/null", func(t *testing.T) {
		_, global := hostKeyFiles(t)
		c := newCheck(t, os.DevNull, global, "no", "")
		var notes []string
		c.Note = func(l string) { notes = append(notes, l) }
		if err := verify(c, "example.com", 22, sshtest.NewKey(t).PublicKey()); err != nil {
			t.Errorf("got %v; want nil", err)
		}
		if len(notes) != 1 || !strings.HasPrefix(notes[0], "Warning: Permanently added 'example.com'") {
			t.Errorf("notes %q; want ssh's Permanently added line, which ssh prints for /dev/null too", notes)
		}
	})
}

// TestHostKeyPin: once a login accepted a key, a login of the same master
// that sees another key is refused, whatever StrictHostKeyChecking says
// and whether or not known_hosts recorded anything; the same key, or a new
// certificate for it, passes.
func TestHostKeyPin(t *testing.T) {
	key := sshtest.NewKey(t)
	impostor := sshtest.NewKey(t).PublicKey()
	for _, strict := range []string{"no", "accept-new", "yes"} {
		for _, file := range []string{"", os.DevNull} {
			t.Run(strict+file, func(t *testing.T) {
				user, global := hostKeyFiles(t)
				if file != "" {
					user = file
				}
				if strict == "yes" {
					if err := os.MkdirAll(filepath.Dir(global), 0o700); err != nil {
						t.Fatal(err)
					}
					// The impostor's key is known too: only the pin refuses it.
					writeLines(t, global, knownHostsEntry("example.com", key.PublicKey()), knownHostsEntry("example.com", impostor))
				}
				pin := &HostKeyPin{}
				login := func() *hostKeyCheck {
					c := newCheck(t, user, global, strict, "")
					c.Pin = pin
					return c
				}
				if err := verify(login(), "example.com", 22, key.PublicKey()); err != nil {
					t.Fatalf("first login: got %v; want nil", err)
				}
				if err := verify(login(), "example.com", 22, key.PublicKey()); err != nil {
					t.Errorf("same key again: got %v; want nil", err)
				}
				err := verify(login(), "example.com", 22, impostor)
				var hk *HostKeyError
				if !errors.As(err, &hk) || !hk.Changed || !strings.Contains(err.Error(), "host key for example.com changed since this master logged in") {
					t.Fatalf("another key: got %v; want a changed-key HostKeyError naming the master's login", err)
				}
				if !strings.Contains(err.Error(), ssh.FingerprintSHA256(impostor)) || !strings.Contains(err.Error(), ssh.FingerprintSHA256(key.PublicKey())) {
					t.Errorf("error %q; want both fingerprints", err)
				}
			})
		}
	}
	t.Run("key re-exchange", func(t *testing.T) {
		user, global := hostKeyFiles(t)
		c := newCheck(t, user, global, "no", "")
		var notes []string
		c.Note = func(l string) { notes = append(notes, l) }
		cb := c.callback("example.com", 22)
		addr := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 22}
		for i := range 2 {
			if err := cb("example.com:22", addr, key.PublicKey()); err != nil {
				t.Fatalf("exchange %d: got %v; want nil", i, err)
			}
		}
		if got := readFileOrEmpty(t, user); strings.Count(got, "\n") != 1 || len(notes) != 1 {
			t.Errorf("known_hosts %q, notes %q; want the key recorded and announced once", got, notes)
		}
		if err := cb("example.com:22", addr, impostor); err == nil || !strings.Contains(err.Error(), "changed during a key re-exchange") {
			t.Errorf("another key at a re-exchange: got %v; want it refused", err)
		}
	})
	t.Run("certificate of the pinned key", func(t *testing.T) {
		pin := &HostKeyPin{}
		pin.keep(key.PublicKey())
		cert := &ssh.Certificate{Key: key.PublicKey()}
		if err := pin.check("example.com:22", cert); err != nil {
			t.Errorf("got %v; want nil", err)
		}
	})
}

// scriptedPrompter answers questions from a script and records them.
type scriptedPrompter struct {
	answers []string
	err     error
	asked   []Question
}

func (p *scriptedPrompter) Ask(q Question) ([]string, error) {
	p.asked = append(p.asked, q)
	if p.err != nil {
		return nil, p.err
	}
	if len(p.answers) == 0 {
		return nil, errors.New("scriptedPrompter: out of answers")
	}
	a := p.answers[0]
	p.answers = p.answers[1:]
	return []string{a}, nil
}

func TestHostKeyAsk(t *testing.T) {
	key := sshtest.NewKey(t).PublicKey()
	fp := ssh.FingerprintSHA256(key)
	cancelled := errors.New("cancelled")
	tests := []struct {
		name       string
		answers    []string
		err        error
		wantErr    bool
		wantRecord bool
		wantAsks   int
	}{
		{"yes", []string{"yes"}, nil, false, true, 1},
		{"YES with spaces", []string{" YES "}, nil, false, true, 1},
		{"fingerprint", []string{fp}, nil, false, true, 1},
		{"no", []string{"no"}, nil, true, false, 1},
		{"retry then yes", []string{"maybe", "yes"}, nil, false, true, 2},
		{"three wrong answers", []string{"a", "b", "c", "yes"}, nil, true, false, 3},
		{"wrong fingerprint", []string{"SHA256:nope", "no"}, nil, true, false, 2},
		{"prompter fails", nil, cancelled, true, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user, global := hostKeyFiles(t)
			c := newCheck(t, user, global, "ask", "")
			p := &scriptedPrompter{answers: tt.answers, err: tt.err}
			c.Prompter = p
			err := verify(c, "example.com", 22, key)
			if (err != nil) != tt.wantErr {
				t.Fatalf("got %v; want error %v", err, tt.wantErr)
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Errorf("got %v; want the prompter's error", err)
			}
			var hk *HostKeyError
			if tt.wantErr && tt.err == nil && (!errors.As(err, &hk) || hk.Changed) {
				t.Errorf("got %v; want an unknown-key *HostKeyError", err)
			}
			recorded := readFileOrEmpty(t, user) != ""
			if recorded != tt.wantRecord {
				t.Errorf("recorded: got %v; want %v", recorded, tt.wantRecord)
			}
			if len(p.asked) != tt.wantAsks {
				t.Fatalf("asked %d times; want %d", len(p.asked), tt.wantAsks)
			}
			first := p.asked[0]
			for _, want := range []string{"'example.com'", "ED25519 key fingerprint is " + fp} {
				if !strings.Contains(first.Instruction, want) {
					t.Errorf("instruction %q does not contain %q", first.Instruction, want)
				}
			}
			if len(first.Prompts) != 1 || !strings.Contains(first.Prompts[0], "(yes/no/[fingerprint])") || !reflect.DeepEqual(first.Echos, []bool{true}) {
				t.Errorf("first question: got prompts %q echos %v", first.Prompts, first.Echos)
			}
			if len(p.asked) > 1 && !strings.HasPrefix(p.asked[1].Prompts[0], "sshshare: Please type 'yes', 'no' or the fingerprint") {
				t.Errorf("second prompt: got %q", p.asked[1].Prompts[0])
			}
		})
	}
}

func TestHostKeyAlias(t *testing.T) {
	user, global := hostKeyFiles(t)
	key := sshtest.NewKey(t).PublicKey()
	writeLines(t, global, knownHostsEntry("webkey", key))

	c := newCheck(t, user, global, "true", "webkey")
	if err := verify(c, "10.0.0.5", 22, key); err != nil {
		t.Errorf("with HostKeyAlias: got %v; want nil", err)
	}
	if got, want := algorithmsOf(t, c, "10.0.0.5", 22), []string{ssh.KeyAlgoED25519}; !reflect.DeepEqual(got, want) {
		t.Errorf("Algorithms with HostKeyAlias: got %v; want %v", got, want)
	}
	plain := newCheck(t, user, global, "true", "")
	if err := verify(plain, "10.0.0.5", 22, key); err == nil {
		t.Error("without HostKeyAlias: got nil; want an unknown-key error")
	}

	// ssh records HostKeyAlias as it is, without the port.
	rec := newCheck(t, user, global, "accept-new", "newalias")
	if err := verify(rec, "10.0.0.6", 2200, key); err != nil {
		t.Fatalf("accept-new with alias: %v", err)
	}
	if got, want := readFileOrEmpty(t, user), knownHostsEntry("newalias", key)+"\n"; got != want {
		t.Errorf("recorded: got %q; want %q", got, want)
	}
}

func TestHostKeyAlgorithms(t *testing.T) {
	user, global := hostKeyFiles(t)
	ed := sshtest.NewKey(t).PublicKey()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ssh.NewPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	writeLines(t, global,
		knownHostsEntry("ed.example", ed),
		knownHostsEntry("both.example", ec),
		knownHostsEntry("both.example", ed),
		knownHostsEntry("[ported.example]:2222", ed),
	)
	c := newCheck(t, user, global, "true", "")
	tests := []struct {
		host string
		port int
		want []string
	}{
		{"ed.example", 22, []string{ssh.KeyAlgoED25519}},
		{"both.example", 22, []string{ssh.KeyAlgoECDSA256, ssh.KeyAlgoED25519}},
		{"ported.example", 2222, []string{ssh.KeyAlgoED25519}},
		{"ported.example", 22, nil},
		{"unknown.example", 22, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s:%d", tt.host, tt.port), func(t *testing.T) {
			got := algorithmsOf(t, c, tt.host, tt.port)
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Algorithms(%s, %d): got %v; want %v", tt.host, tt.port, got, tt.want)
			}
		})
	}
}

// hostKeyTable checks which host:port the known_hosts lines accept key for.
func hostKeyTable(t *testing.T, key ssh.PublicKey, lines []string, tests []hostKeyCase) {
	t.Helper()
	user, global := hostKeyFiles(t)
	writeLines(t, global, lines...)
	c := newCheck(t, user, global, "true", "")
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s:%d", tt.host, tt.port), func(t *testing.T) {
			err := verify(c, tt.host, tt.port, key)
			if (err == nil) != tt.wantOK {
				t.Errorf("%s port %d: got %v; want ok=%v", tt.host, tt.port, err, tt.wantOK)
			}
		})
	}
}

type hostKeyCase struct {
	host   string
	port   int
	wantOK bool
}

func TestHostKeyPortEntries(t *testing.T) {
	key := sshtest.NewKey(t).PublicKey()
	hostKeyTable(t, key, []string{
		knownHostsEntry("[ported.example]:2222", key),
		knownHostsEntry("plain.example", key),
		knownHostsEntry(xknownhosts.HashHostname("hashed.example"), key),
		knownHostsEntry(xknownhosts.HashHostname("[hashed.example]:2222"), key),
	}, []hostKeyCase{
		{"ported.example", 2222, true},
		{"ported.example", 22, false},
		{"ported.example", 2223, false},
		{"plain.example", 22, true},
		{"plain.example", 2222, false},
		{"hashed.example", 22, true},
		{"hashed.example", 2222, true},
		{"hashed.example", 2223, false},
	})
}

// TestHostKeyWildcard: a wildcard pattern without a port matches any port,
// as in OpenSSH (skeema/knownhosts' fix for golang/go#52056).
func TestHostKeyWildcard(t *testing.T) {
	key := sshtest.NewKey(t).PublicKey()
	hostKeyTable(t, key, []string{
		knownHostsEntry("*.wild.example", key),
		knownHostsEntry("[*.wildport.example]:2222", key),
	}, []hostKeyCase{
		{"a.wild.example", 22, true},
		{"a.wild.example", 2222, true},
		{"a.wildport.example", 2222, true},
		{"a.wildport.example", 22, false},
		{"wild.example", 22, false},
		{"other.example", 2222, false},
	})
}

func TestKeyTypeName(t *testing.T) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ssh.NewPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key  ssh.PublicKey
		want string
	}{
		{sshtest.NewKey(t).PublicKey(), "ED25519"},
		{ec, "ECDSA"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := keyTypeName(tt.key); got != tt.want {
				t.Errorf("keyTypeName(%s): got %q; want %q", tt.key.Type(), got, tt.want)
			}
		})
	}
}

func TestAcceptNewHashesWhenAsked(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "known_hosts")
	c, err := newHostKeyCheck(HostConfig{UserKnownHostsFiles: []string{file}, StrictHostKeyChecking: "accept-new", HashKnownHosts: true})
	if err != nil {
		t.Fatal(err)
	}
	key := sshtest.NewKey(t).PublicKey()
	if err := c.callback("h.example", 2222)("", nil, key); err != nil {
		t.Fatalf("accept-new: %v", err)
	}
	b, _ := os.ReadFile(file)
	if !strings.HasPrefix(string(b), "|1|") || strings.Contains(string(b), "h.example") {
		t.Errorf("recorded line %q; want a hashed name", b)
	}
	again, err := newHostKeyCheck(HostConfig{UserKnownHostsFiles: []string{file}, StrictHostKeyChecking: "true"})
	if err != nil {
		t.Fatal(err)
	}
	if err := again.callback("h.example", 2222)("", nil, key); err != nil {
		t.Errorf("hashed entry not found again: %v", err)
	}
}

// TestHostKeyCASignatureAlgorithms: a host certificate whose CA signed it
// with an algorithm CASignatureAlgorithms leaves out is checked as its
// plain key, as ssh does: refused (naming the keyword) when the plain key
// is unknown, accepted when it is known; listing the algorithm accepts
// the certificate.
func TestHostKeyCASignatureAlgorithms(t *testing.T) {
	user, global := hostKeyFiles(t)
	ca := sshtest.NewKey(t)
	host := sshtest.NewKey(t)
	cert := &ssh.Certificate{Key: host.PublicKey(), CertType: ssh.HostCert, ValidPrincipals: []string{"example.com"},
		ValidBefore: ssh.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	writeLines(t, global, "@cert-authority *.com "+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(ca.PublicKey()))))
	check := newCheck(t, user, global, "yes", "")
	if err := verify(check, "example.com", 22, cert); err != nil {
		t.Fatalf("default CASignatureAlgorithms (%s CA): %v", cert.Signature.Format, err)
	}
	check.CAAlgorithms = []string{"rsa-sha2-512"}
	err := verify(check, "example.com", 22, cert)
	var hk *HostKeyError
	if !errors.As(err, &hk) || !strings.Contains(err.Error(), "CASignatureAlgorithms") {
		t.Errorf("CA algorithm not listed, plain key unknown: got %v; want a HostKeyError naming CASignatureAlgorithms", err)
	}
	if err := os.MkdirAll(filepath.Dir(user), 0o700); err != nil {
		t.Fatal(err)
	}
	writeLines(t, user, knownHostsEntry("example.com", host.PublicKey()))
	check = newCheck(t, user, global, "yes", "")
	check.CAAlgorithms = []string{"rsa-sha2-512"}
	if err := verify(check, "example.com", 22, cert); err != nil {
		t.Errorf("CA algorithm not listed, plain key known: %v; want accepted as ssh does", err)
	}
}

// TestHostKeyRequiredRSASize: an RSA host key smaller than RequiredRSASize
// is refused even when known_hosts has it (StrictHostKeyChecking no too),
// as ssh refuses it; identity keys that small are skipped.
func TestHostKeyRequiredRSASize(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(small)
	if err != nil {
		t.Fatal(err)
	}
	user, global := hostKeyFiles(t)
	writeLines(t, global, knownHostsEntry("example.com", signer.PublicKey()))
	c := newCheck(t, user, global, "no", "")
	if err := verify(c, "example.com", 22, signer.PublicKey()); err != nil {
		t.Fatalf("1024-bit key with no RequiredRSASize: got %v; want nil", err)
	}
	c.MinRSA = 2048
	err = verify(c, "example.com", 22, signer.PublicKey())
	var hk *HostKeyError
	if !errors.As(err, &hk) || !strings.Contains(err.Error(), "RequiredRSASize 2048") {
		t.Errorf("1024-bit key with RequiredRSASize 2048: got %v; want a HostKeyError naming RequiredRSASize", err)
	}
	ed := sshtest.NewKey(t)
	out, skipped := largeEnough([]ssh.Signer{signer, ed}, 2048)
	if len(out) != 1 || out[0] != ed || len(skipped) != 1 {
		t.Errorf("largeEnough: kept %d, skipped %q; want the ed25519 key kept and the RSA key skipped", len(out), skipped)
	}
}
