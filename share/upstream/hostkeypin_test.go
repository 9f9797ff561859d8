package upstream

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/share/sshtest"
	"golang.org/x/crypto/ssh"
)

// TestHostKeyPinFirst: once a key is pinned, the algorithms that show it
// come first (an RSA key's in the list's order; a certificate's, then its
// key's), the rest as they were; nothing the list leaves out is added.
func TestHostKeyPinFirst(t *testing.T) {
	order := []string{ssh.CertAlgoED25519v01, ssh.KeyAlgoED25519, ssh.CertAlgoRSASHA256v01, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoECDSA256, ssh.KeyAlgoRSASHA512}
	if got := (*HostKeyPin)(nil).first(order); !reflect.DeepEqual(got, order) {
		t.Errorf("nil pin: got %v; want %v", got, order)
	}
	if got := (&HostKeyPin{}).first(order); !reflect.DeepEqual(got, order) {
		t.Errorf("nothing pinned: got %v; want %v", got, order)
	}
	priv, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := ssh.NewPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	edKey := sshtest.NewKey(t).PublicKey()
	for _, tc := range []struct {
		name string
		key  ssh.PublicKey
		want []string
	}{
		{"rsa", rsaKey, []string{ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSASHA512, ssh.CertAlgoED25519v01, ssh.KeyAlgoED25519, ssh.CertAlgoRSASHA256v01, ssh.KeyAlgoECDSA256}},
		{"rsa certificate", &ssh.Certificate{Key: rsaKey}, []string{ssh.CertAlgoRSASHA256v01, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSASHA512, ssh.CertAlgoED25519v01, ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256}},
		{"ed25519", edKey, []string{ssh.KeyAlgoED25519, ssh.CertAlgoED25519v01, ssh.CertAlgoRSASHA256v01, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoECDSA256, ssh.KeyAlgoRSASHA512}},
		{"ed25519 certificate", &ssh.Certificate{Key: edKey}, order},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pin := &HostKeyPin{}
			pin.keep(tc.key)
			if got := pin.first(order); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v; want %v", got, tc.want)
			}
		})
	}
	// The list stays the bound: a pinned type it leaves out is not added.
	pin := &HostKeyPin{}
	pin.keep(edKey)
	bound := []string{ssh.KeyAlgoECDSA256, ssh.KeyAlgoRSASHA512}
	if got := pin.first(bound); !reflect.DeepEqual(got, bound) {
		t.Errorf("pinned type not allowed: got %v; want %v", got, bound)
	}
}

// TestHostKeyPinHealAfterKnownHostsGrew: the first login pins the RSA key,
// the only one known_hosts has; the user then adds the host's ed25519 key,
// which HostKeyAlgorithms prefers. A later login of the master (a heal)
// must still ask for the RSA key and log in, not see the ed25519 key and
// fail as if the host key had changed.
func TestHostKeyPinHealAfterKnownHostsGrew(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaHost, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	edHost := sshtest.NewKey(t)
	hostKeys := []ssh.Signer{edHost, rsaHost} // the server's, read at each Dial

	knownHosts := filepath.Join(t.TempDir(), "known_hosts")
	writeLines(t, knownHosts, knownHostsEntry("example.com", rsaHost.PublicKey()))
	d := loginOnlyDialer(knownHosts, func() (net.Conn, net.Conn) { return sshtest.TCPPair(t) }, func() []ssh.Signer { return hostKeys })
	d.Config.Algorithms = Algorithms{HostKeyAlgorithms: []string{ssh.KeyAlgoED25519, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256},
		CASignatureAlgorithms: []string{ssh.KeyAlgoED25519}}
	login := func() error {
		up, err := d.Dial(context.Background())
		if err != nil {
			return err
		}
		up.Conn.Close()
		return nil
	}
	if err := login(); err != nil {
		t.Fatalf("first login: %v", err)
	}
	// The user re-accepted the host with plain ssh: its ed25519 key is
	// known now too, and comes first in the file.
	writeLines(t, knownHosts, knownHostsEntry("example.com", edHost.PublicKey()), knownHostsEntry("example.com", rsaHost.PublicKey()))
	if err := login(); err != nil {
		t.Fatalf("heal after known_hosts gained the ed25519 key: %v; want the pinned RSA key asked for and the login to succeed", err)
	}
	// A server that lost the pinned key shows its other one, which the
	// pin refuses, naming both.
	hostKeys = []ssh.Signer{edHost}
	err = login()
	if want := "changed since this master logged in (now ssh-ed25519"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("login to a server without the pinned key: got %v; want an error with %q", err, want)
	}
}

// loginOnlyDialer is a Dialer for u@example.com:22 that trusts only the
// keys in knownHosts (StrictHostKeyChecking yes) and reaches, over the
// connections pipe makes, a serveLoginOnly server showing the keys
// hostKeys gives at each dial.
func loginOnlyDialer(knownHosts string, pipe func() (client, server net.Conn), hostKeys func() []ssh.Signer) *Dialer {
	return &Dialer{
		Log: sshtest.DiscardLogger(),
		Config: HostConfig{
			HostName: "example.com", Port: 22, User: "u",
			UserKnownHostsFiles:   []string{knownHosts},
			GlobalKnownHostsFiles: []string{filepath.Join(filepath.Dir(knownHosts), "none")},
			StrictHostKeyChecking: "yes",
		},
		Transport: func(context.Context, string, int) (net.Conn, error) {
			client, srv := pipe()
			go serveLoginOnly(srv, hostKeys()...)
			return client, nil
		},
	}
}

// serveLoginOnly is a server on srv that shows hostKeys, lets any client
// in without authentication, refuses every channel, and ends when the
// client has gone.
func serveLoginOnly(srv net.Conn, hostKeys ...ssh.Signer) {
	server := &ssh.ServerConfig{NoClientAuth: true}
	for _, k := range hostKeys {
		server.AddHostKey(k)
	}
	conn, chans, reqs, err := ssh.NewServerConn(srv, server)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for ch := range chans {
		ch.Reject(ssh.Prohibited, "no")
	}
	conn.Close()
}
