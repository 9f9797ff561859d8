package integration

import (
	"bytes"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// muxStdioSize is how many random bytes the stdio forward tests move.
const muxStdioSize = 4 << 20

// TestMuxStdio: `ssh -W host:port` through the mux door carries
// bytes exactly to a TCP echo server and back, and ends cleanly when its
// stdin does.
func TestMuxStdio(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{})
	before := e.warm(t)
	echo := harness.EchoServer(t)
	data := muxRandomBytes(muxStdioSize)
	cmd := e.c.SSH("-W", echo, shareHost)
	cmd.Stdin = bytes.NewReader(data)
	res := harness.Run(t, sshTimeout, cmd)
	if res.Code != 0 || len(res.Stderr) != 0 {
		t.Errorf("ssh -W %s %s: exit %d, stderr %q; want exit 0 and no stderr", echo, shareHost, res.Code, res.Stderr)
	}
	if !bytes.Equal(res.Stdout, data) {
		t.Errorf("ssh -W %s: echoed %d bytes, not the %d sent", echo, len(res.Stdout), len(data))
	}
	e.wantServed(t, before, 1, "ssh -W")
}

// TestMuxProxyJump: a Host whose ProxyJump names the shared host (the
// target is the same sshd) reaches its target through the mux door's
// stdio forward, and a file goes up and comes back byte-exact.
func TestMuxProxyJump(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{})
	before := e.warm(t)
	const jumped = "jumped"
	e.c.AddHost(jumped, "ProxyJump "+shareHost)
	src := filepath.Join(t.TempDir(), "src")
	want := shareRandomFile(t, src, muxStdioSize)
	remote := filepath.Join(t.TempDir(), "remote")
	back := filepath.Join(t.TempDir(), "back")

	up := e.c.SSH(jumped, "cat > "+remote)
	up.Stdin = shareOpen(t, src)
	muxCopied(t, "upload through ProxyJump", up, remote, want)
	down := e.c.SSH(jumped, "cat "+remote)
	down.Stdout = shareCreate(t, back)
	muxCopied(t, "download through ProxyJump", down, back, want)

	e.wantServed(t, before, 2, "two ssh through ProxyJump "+shareHost)
	if got := e.sshd.Logins(); got != 3 {
		t.Errorf("sshd logins = %d; want 3 (the master's and one per ssh through the jump)", got)
	}
}

// muxCopied runs a copy and checks that it exited 0 silently and made the
// file with the hash want.
func muxCopied(t *testing.T, what string, cmd *exec.Cmd, made, want string) {
	t.Helper()
	res := harness.Run(t, sshTimeout, cmd)
	if res.Code != 0 || len(res.Stderr) != 0 {
		t.Fatalf("%s: %s; want exit 0 and no stderr", what, res)
	}
	if got := shareFileSHA256(t, made); got != want {
		t.Fatalf("%s: sha256 %s; want %s", what, got, want)
	}
}

// muxRandomBytes returns n pseudo-random bytes.
func muxRandomBytes(n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{'m', 'u', 'x'}).Read(b)
	return b
}
