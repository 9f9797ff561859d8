package upstream

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/share/hint"
	"golang.org/x/crypto/ssh"
)

func TestAlgorithmsNegotiated(t *testing.T) {
	a := Algorithms{
		Ciphers:           []string{"aes256-cbc", "aes128-ctr", "aes128-cbc"},
		KexAlgorithms:     strings.Split("sntrup761x25519-sha512@openssh.com,mlkem768x25519-sha256,curve25519-sha256,diffie-hellman-group14-sha1", ","),
		MACs:              []string{"umac-64-etm@openssh.com", "hmac-sha2-512"},
		HostKeyAlgorithms: []string{"sk-ssh-ed25519@openssh.com", "rsa-sha2-512", "ssh-rsa"},
	}
	n, err := a.negotiated()
	if err != nil {
		t.Fatal(err)
	}
	want := negotiated{
		ciphers:  []string{"aes128-ctr", "aes128-cbc"},
		kex:      []string{"mlkem768x25519-sha256", "curve25519-sha256", "diffie-hellman-group14-sha1"},
		macs:     []string{"hmac-sha2-512"},
		hostKeys: []string{"rsa-sha2-512", "ssh-rsa"},
	}
	if !reflect.DeepEqual(n, want) {
		t.Errorf("got %+v; want %+v", n, want)
	}
}

// TestAlgorithmsDefaultsLeaveOutSHA1: with no lists printed, none of
// x/crypto's insecure algorithms is offered.
func TestAlgorithmsDefaultsLeaveOutSHA1(t *testing.T) {
	n, err := Algorithms{}.negotiated()
	if err != nil {
		t.Fatal(err)
	}
	insecure := ssh.InsecureAlgorithms()
	for _, list := range [][]string{n.ciphers, n.kex, n.macs, n.hostKeys} {
		for _, a := range list {
			for _, bad := range [][]string{insecure.Ciphers, insecure.KeyExchanges, insecure.MACs, insecure.HostKeys} {
				for _, b := range bad {
					if a == b {
						t.Errorf("default offer includes insecure %s", a)
					}
				}
			}
		}
	}
}

func TestAlgorithmsNoneSupported(t *testing.T) {
	for _, tc := range []struct {
		a       Algorithms
		keyword string
	}{
		{Algorithms{Ciphers: []string{"aes256-cbc"}}, "Ciphers aes256-cbc: none of these is supported (supported: "},
		{Algorithms{KexAlgorithms: []string{"sntrup761x25519-sha512@openssh.com"}}, "KexAlgorithms sntrup761x25519-sha512@openssh.com: none"},
		{Algorithms{MACs: []string{"umac-64@openssh.com", "umac-128@openssh.com"}}, "MACs umac-64@openssh.com,umac-128@openssh.com: none"},
		{Algorithms{HostKeyAlgorithms: []string{"sk-ssh-ed25519@openssh.com"}}, "HostKeyAlgorithms sk-ssh-ed25519@openssh.com: none"},
	} {
		err := tc.a.Check()
		var ae *AlgorithmError
		if !errors.As(err, &ae) || !strings.HasPrefix(err.Error(), tc.keyword) || hint.Of(err) == "" {
			t.Errorf("Check(%+v): got %v (hint %q); want an AlgorithmError starting %q with a hint", tc.a, err, hint.Of(err), tc.keyword)
		}
	}
}

func TestHostKeyOrder(t *testing.T) {
	allowed := []string{"ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256"}
	known := []string{"rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"}
	want := []string{"rsa-sha2-512", "rsa-sha2-256", "ssh-ed25519", "ecdsa-sha2-nistp256"}
	if got := hostKeyOrder(allowed, known); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
	if got := hostKeyOrder(allowed, nil); !reflect.DeepEqual(got, allowed) {
		t.Errorf("no known keys: got %v; want %v", got, allowed)
	}
}

func TestNegotiationError(t *testing.T) {
	ne := &ssh.AlgorithmNegotiationError{What: "key exchange",
		RequestedAlgorithms: []string{"diffie-hellman-group14-sha1", "kex-strict-s-v00@openssh.com"},
		SupportedAlgorithms: []string{"curve25519-sha256"}}
	err, ok := negotiationError("127.0.0.1:22", errors.Join(errors.New("ssh: handshake failed"), ne))
	if !ok || err.Error() != "unable to negotiate with 127.0.0.1:22: KexAlgorithms: no matching key exchange method found. Their offer: diffie-hellman-group14-sha1" {
		t.Errorf("got %v, %v", err, ok)
	}
	if h := hint.Of(err); !strings.Contains(h, "`KexAlgorithms +diffie-hellman-group14-sha1`") {
		t.Errorf("hint: got %q", h)
	}
	ne = &ssh.AlgorithmNegotiationError{What: "client to server cipher", RequestedAlgorithms: []string{"aes256-cbc"}}
	err, _ = negotiationError("h:22", ne)
	if !strings.Contains(err.Error(), "Ciphers: no matching cipher found") || hint.Of(err) != "" {
		t.Errorf("cipher: got %v (hint %q); want Ciphers named, no hint (aes256-cbc is not implemented)", err, hint.Of(err))
	}
}

// TestAcceptedSigners: RSA keys sign with the SHA-2 algorithms the list
// names, never SHA-1 unless listed; other keys are kept when their type is
// listed.
func TestAcceptedSigners(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaSigner, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	edSigner := newEd25519Signer(t)
	signers := []ssh.Signer{rsaSigner, edSigner}
	for _, tc := range []struct {
		accepted []string
		want     [][]string // per kept signer: its algorithms, or its type
	}{
		{nil, [][]string{{"rsa-sha2-512", "rsa-sha2-256"}, {"ssh-ed25519"}}},
		{[]string{"rsa-sha2-256"}, [][]string{{"rsa-sha2-256"}}},
		{[]string{"ssh-ed25519", "ssh-rsa"}, [][]string{{"ssh-rsa"}, {"ssh-ed25519"}}},
		{[]string{"ecdsa-sha2-nistp256"}, nil},
	} {
		got, _ := acceptedSigners(signers, tc.accepted)
		var algs [][]string
		for _, s := range got {
			if ms, ok := s.(ssh.MultiAlgorithmSigner); ok {
				algs = append(algs, ms.Algorithms())
			} else {
				algs = append(algs, []string{s.PublicKey().Type()})
			}
		}
		if !reflect.DeepEqual(algs, tc.want) {
			t.Errorf("accepted %v: got %v; want %v", tc.accepted, algs, tc.want)
		}
	}
}

// newEd25519Signer makes a throw-away ed25519 signer.
func newEd25519Signer(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestGCMFirst: OpenSSH's default cipher order is offered with AES-GCM
// first, the rest in the list's order; a list without it is unchanged.
func TestGCMFirst(t *testing.T) {
	tests := []struct{ in, want string }{
		{"chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
			"aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr"},
		{"aes256-gcm@openssh.com,chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com,chacha20-poly1305@openssh.com"},
		{"chacha20-poly1305@openssh.com,aes128-ctr", "chacha20-poly1305@openssh.com,aes128-ctr"},
	}
	for _, tt := range tests {
		if got := strings.Join(gcmFirst(strings.Split(tt.in, ",")), ","); got != tt.want {
			t.Errorf("gcmFirst(%s) = %s; want %s", tt.in, got, tt.want)
		}
	}
}
