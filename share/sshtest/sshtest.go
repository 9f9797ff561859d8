package share

import (
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// sshSide is one side of an in-process SSH connection: the connection and
// what the peer opens and asks on it.
type sshSide struct {
	Conn  ssh.Conn
	Chans <-chan ssh.NewChannel
	Reqs  <-chan *ssh.Request
}

// testHostSigner is the host key of every in-process test server.
var testHostSigner = sync.OnceValue(func() ssh.Signer {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		panic(err)
	}
	return s
})

// newTestKey returns a fresh ed25519 signer.
func newTestKey(t *testing.T) ssh.Signer {
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

// tcpPair returns the two ends of a loopback TCP connection. net.Pipe does
// not do for SSH: both sides write their version line before reading, and
// an unbuffered pipe deadlocks on that.
func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			c = nil
		}
		accepted <- c
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b := <-accepted
	if b == nil {
		a.Close()
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// sshPair connects an x/crypto client to an x/crypto server that accepts
// anyone, and returns both sides after the handshake.
func sshPair(t *testing.T) (client, server sshSide) {
	t.Helper()
	cc, sc := tcpPair(t)
	scfg := &ssh.ServerConfig{NoClientAuth: true}
	scfg.AddHostKey(testHostSigner())
	type result struct {
		side sshSide
		err  error
	}
	srv := make(chan result, 1)
	go func() {
		conn, chans, reqs, err := ssh.NewServerConn(sc, scfg)
		if err != nil {
			srv <- result{err: err}
			return
		}
		srv <- result{side: sshSide{conn, chans, reqs}}
	}()
	ccfg := &ssh.ClientConfig{User: "test", HostKeyCallback: ssh.FixedHostKey(testHostSigner().PublicKey())}
	conn, chans, reqs, err := ssh.NewClientConn(cc, "test", ccfg)
	if err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	r := <-srv
	if r.err != nil {
		t.Fatalf("server handshake: %v", r.err)
	}
	t.Cleanup(func() { conn.Close(); r.side.Conn.Close() })
	return sshSide{conn, chans, reqs}, r.side
}

// waitFor polls cond until it holds, failing the test after a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// discardLogger is a logger for code under test that must log somewhere.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// recvWithin receives from c, failing the test if nothing comes in time.
func recvWithin[T any](t *testing.T, c <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(d):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// readAllAsync reads r to its end in the background.
func readAllAsync(r io.Reader) <-chan []byte {
	c := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(r)
		c <- b
	}()
	return c
}
