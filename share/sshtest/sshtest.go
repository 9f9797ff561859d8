// Package sshtest holds helpers for the unit tests of share and its
// sub-packages: in-process SSH and TCP connection pairs, test keys and
// polling. Only _test.go files import it.
package sshtest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// Side is one side of an in-process SSH connection: the connection and
// what the peer opens and asks on it.
type Side struct {
	Conn  ssh.Conn
	Chans <-chan ssh.NewChannel
	Reqs  <-chan *ssh.Request
}

// HostSigner returns the host key of every in-process test server.
var HostSigner = sync.OnceValue(func() ssh.Signer {
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

// NewKey returns a fresh ed25519 signer.
func NewKey(t *testing.T) ssh.Signer {
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

// TCPPair returns the two ends of a loopback TCP connection. net.Pipe does
// not do for SSH: both sides write their version line before reading, and
// an unbuffered pipe deadlocks on that.
func TCPPair(t *testing.T) (net.Conn, net.Conn) {
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

// SSHPair connects an x/crypto client to an x/crypto server that accepts
// anyone, and returns both sides after the handshake.
func SSHPair(t *testing.T) (client, server Side) {
	t.Helper()
	cc, sc := TCPPair(t)
	scfg := &ssh.ServerConfig{NoClientAuth: true}
	scfg.AddHostKey(HostSigner())
	type result struct {
		side Side
		err  error
	}
	srv := make(chan result, 1)
	go func() {
		conn, chans, reqs, err := ssh.NewServerConn(sc, scfg)
		if err != nil {
			srv <- result{err: err}
			return
		}
		srv <- result{side: Side{conn, chans, reqs}}
	}()
	ccfg := &ssh.ClientConfig{User: "test", HostKeyCallback: ssh.FixedHostKey(HostSigner().PublicKey())}
	conn, chans, reqs, err := ssh.NewClientConn(cc, "test", ccfg)
	if err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	r := <-srv
	if r.err != nil {
		t.Fatalf("server handshake: %v", r.err)
	}
	t.Cleanup(func() { conn.Close(); r.side.Conn.Close() })
	return Side{conn, chans, reqs}, r.side
}

// WaitFor polls cond until it holds, failing the test after a deadline.
func WaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// DiscardLogger is a logger for code under test that must log somewhere.
func DiscardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// RecvWithin receives from c, failing the test if nothing comes in time.
func RecvWithin[T any](t *testing.T, c <-chan T, d time.Duration, what string) T {
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

// ReadAllAsync reads r to its end in the background.
func ReadAllAsync(r io.Reader) <-chan []byte {
	c := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(r)
		c <- b
	}()
	return c
}

// PipePair returns both ends of two pipes: what the invocation reads and
// writes, and the test's ends (the local ssh's).
func PipePair(t testing.TB) (in, sshIn, out, sshOut *os.File) {
	t.Helper()
	in, sshIn, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	sshOut, out, err = os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, f := range []*os.File{in, sshIn, out, sshOut} {
			f.Close()
		}
	})
	return in, sshIn, out, sshOut
}

// UnixPair returns two connected Unix sockets.
func UnixPair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	socket := filepath.Join(t.TempDir(), "p")
	ln, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a, err := net.Dial("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// NeedsModes skips t on Windows, where what t asserts, Unix mode bits,
// does not exist: Go reports every file 0666 and every directory 0777,
// and os.Chmod only sets the read-only attribute. There a directory's
// privacy is its owner and DACL, checked by sysio's TestJudgeSDDL on
// fixed descriptors (Wine synthesises ACLs from mode bits, so a live
// check under Wine would test Wine).
func NeedsModes(t testing.TB) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no mode bits; its owner and DACL checks are sysio's TestJudgeSDDL")
	}
}

// WantMode fails t unless path has the permission bits want; on Windows,
// which has none (see NeedsModes), it checks only that path exists.
func WantMode(t testing.TB, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); runtime.GOOS != "windows" && perm != want {
		t.Errorf("%s mode: got %#o; want %#o", path, perm, want)
	}
}

// SetHome makes dir the home directory os.UserHomeDir reports for the
// rest of t: $HOME, and on Windows %USERPROFILE%, which is what Go (and
// Win32-OpenSSH) read there.
func SetHome(t testing.TB, dir string) {
	t.Helper()
	t.Setenv("HOME", dir)
	if runtime.GOOS == "windows" {
		t.Setenv("USERPROFILE", dir)
	}
}

// SkipOnWindows skips t on Windows, saying why what it tests does not
// exist there or cannot run there (a /bin/sh script, the mux door).
func SkipOnWindows(t testing.TB, why string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("not on Windows: " + why)
	}
}

// Buffer collects what several goroutines write (a log, a command's
// stderr) for a test to read meanwhile.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what has been written; a nil buffer is empty.
func (b *Buffer) String() string {
	if b == nil {
		return ""
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Reset empties the buffer.
func (b *Buffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.b.Reset()
}
