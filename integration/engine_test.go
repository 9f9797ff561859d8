//go:build unix

package integration

import (
	"bytes"
	"crypto/rand"
	"strings"
	"sync"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// engineDebug makes sshd log the negotiated algorithms (kex, cipher,
// compression): DEBUG1 has them, VERBOSE not. (sshd then also sends
// debug lines to the client's stderr.)
const engineDebug = "LogLevel DEBUG1"

// newEngineEnv is newShareEnv with the master's engine forced to
// OpenSSH (SSHSHARE_ENGINE, read by the ProxyCommand) when force, sshd's
// extra config sshdExtra, and the Host block's extra lines.
func newEngineEnv(t *testing.T, force bool, sshdExtra string, lines ...string) *shareEnv {
	t.Helper()
	sshd := harness.StartSSHD(t, harness.SSHDOptions{Extra: "SetEnv HOME=" + t.TempDir() + "\n" + sshdExtra})
	c := harness.NewClient(t, sshd)
	c.Env = append(c.Env, "GORACE=atexit_sleep_ms=0")
	if force {
		c.Env = append(c.Env, harness.EngineEnv+"=openssh")
	}
	bin := harness.Binary(t)
	c.AddShareHost(shareHost, bin, lines...)
	return &shareEnv{sshd: sshd, c: c, bin: bin}
}

// engineMaster is the only master's status, which must be the OpenSSH
// engine's with its ssh running.
func engineMaster(t *testing.T, e *shareEnv) harness.MasterStatus {
	t.Helper()
	m := e.master(t)
	if m.Engine != "openssh" || len(m.EnginePIDs) == 0 {
		t.Fatalf("status: engine %q, ssh pids %v; want openssh and its ssh\nmaster log:\n%s", m.Engine, m.EnginePIDs, shareMasterLog(m))
	}
	return m
}

// TestEngineSession: with the engine forced, sessions carry bytes exactly
// both ways and exit codes, on one login, and status names the engine.
func TestEngineSession(t *testing.T) {
	e := newEngineEnv(t, true, "")
	data := make([]byte, 1<<20)
	rand.Read(data)
	cmd := e.c.SSH(shareHost, "cat")
	cmd.Stdin = bytes.NewReader(data)
	res := harness.Run(t, sshTimeout, cmd)
	if res.Code != 0 || !bytes.Equal(res.Stdout, data) {
		t.Fatalf("ssh cat of 1 MiB: exit %d, %d bytes back (equal %v); stderr %q", res.Code, len(res.Stdout), bytes.Equal(res.Stdout, data), res.Stderr)
	}
	for _, tc := range []struct {
		cmd  string
		want int
	}{{"true", 0}, {"false", 1}, {"exit 44", 44}, {"kill -9 $$", 255}} {
		if res := e.ssh(t, tc.cmd); res.Code != tc.want {
			t.Errorf("ssh %q: %s; want exit %d", tc.cmd, res, tc.want)
		}
	}
	if res := e.mustSSH(t, "echo out; echo err >&2"); string(res.Stdout) != "out\n" || string(res.Stderr) != "err\n" {
		t.Errorf("streams: stdout %q stderr %q", res.Stdout, res.Stderr)
	}
	engineMaster(t, e)
	if got := e.sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d; want 1", got)
	}
}

// TestEngineAlgorithms: the user's Compression and a post-quantum key
// exchange the Go engine lacks are in effect upstream (sshd's log), and
// auto chose the OpenSSH engine for Compression. The local ssh applies
// KexAlgorithms to its own hop too, whose server is the master: the list
// keeps one it has after sntrup761.
func TestEngineAlgorithms(t *testing.T) {
	e := newEngineEnv(t, false, engineDebug, "Compression yes", "KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256")
	if res := e.mustSSH(t, "echo hi"); string(res.Stdout) != "hi\n" {
		t.Fatalf("ssh echo hi: %s", res)
	}
	engineMaster(t, e)
	log := e.sshd.Log()
	for _, want := range []string{"kex: algorithm: sntrup761x25519-sha512@openssh.com", "compression: zlib@openssh.com"} {
		if !strings.Contains(log, want) {
			t.Errorf("sshd log lacks %q:\n%s", want, log)
		}
	}
}

// TestEngineAuto: auto keeps the Go engine for a plain config, and takes
// OpenSSH for Compression yes.
func TestEngineAuto(t *testing.T) {
	plain := newEngineEnv(t, false, "")
	plain.mustSSH(t, "true")
	if m := plain.master(t); m.Engine != "go" || len(m.EnginePIDs) != 0 {
		t.Errorf("plain config: engine %q pids %v; want go", m.Engine, m.EnginePIDs)
	}
	compressed := newEngineEnv(t, false, "", "Compression yes")
	compressed.mustSSH(t, "true")
	engineMaster(t, compressed)
}

// TestEngineColdBurst: 20 ssh started at once with no master make one
// login through one engine ssh.
func TestEngineColdBurst(t *testing.T) {
	e := newEngineEnv(t, true, "")
	const n = 20
	var wg sync.WaitGroup
	results := make([]harness.Result, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = harness.Run(t, 2*sshTimeout, e.c.SSH(shareHost, "echo", "ok"))
		}()
	}
	wg.Wait()
	for i, res := range results {
		if res.Code != 0 || string(res.Stdout) != "ok\n" {
			t.Errorf("ssh %d: %s", i, res)
		}
	}
	m := engineMaster(t, e)
	if got := e.sshd.Logins(); got != m.Upstreams {
		t.Errorf("sshd logins = %d; want %d (one per upstream connection)", got, m.Upstreams)
	}
	if m.Upstreams != 1 {
		t.Logf("upstreams = %d (sessions past MaxSessions get a pooled engine ssh)", m.Upstreams)
	}
}

// TestEngineStop: stopping the master ends its engine ssh.
func TestEngineStop(t *testing.T) {
	e := newEngineEnv(t, true, "")
	e.mustSSH(t, "true")
	engineMaster(t, e)
	e.c.StopMasters(e.bin) // fails the test if an engine ssh outlives it
	if ms := e.c.Masters(e.bin); len(ms) != 0 {
		t.Errorf("masters after stop: %+v", ms)
	}
}
