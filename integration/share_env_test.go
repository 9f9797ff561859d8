package integration

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// shareHost is the ssh alias whose connections go through sshshare.
const shareHost = "h"

// sharePoll is how often the share tests poll for a condition.
const sharePoll = 20 * time.Millisecond

// shareEnv is an sshd and a client that reaches it through sshshare as
// shareHost.
type shareEnv struct {
	sshd *harness.SSHD
	c    *harness.Client
	bin  string
}

// newShareEnv starts an sshd with opts and a client whose shareHost goes
// through the sshshare binary. Cleanups stop the masters, then sshd.
//
// Remote sessions get an empty HOME (sshd's SetEnv): the login account's
// own shell startup files are not the test's, and on a shared machine they
// print to stderr or take seconds, which would hide what sshshare does.
func newShareEnv(t *testing.T, opts harness.SSHDOptions) *shareEnv {
	t.Helper()
	opts.Extra = "SetEnv HOME=" + t.TempDir() + "\n" + opts.Extra
	sshd := harness.StartSSHD(t, opts)
	c := harness.NewClient(t, sshd)
	// A -race binary sleeps 1 s before exiting (GORACE atexit_sleep_ms),
	// which ssh would wait for on every KnownHostsCommand.
	c.Env = append(c.Env, "GORACE=atexit_sleep_ms=0")
	bin := harness.Binary(t)
	c.AddShareHost(shareHost, bin)
	return &shareEnv{sshd: sshd, c: c, bin: bin}
}

// ssh runs `ssh shareHost args...` to completion.
func (e *shareEnv) ssh(t *testing.T, args ...string) harness.Result {
	t.Helper()
	return harness.Run(t, sshTimeout, e.c.SSH(append([]string{shareHost}, args...)...))
}

// mustSSH runs `ssh shareHost args...` and fails the test unless it exits 0.
func (e *shareEnv) mustSSH(t *testing.T, args ...string) harness.Result {
	t.Helper()
	res := e.ssh(t, args...)
	if res.Code != 0 {
		t.Fatalf("ssh %s %s: %s; want exit 0", shareHost, strings.Join(args, " "), res)
	}
	return res
}

// master returns the status of the client's only master.
func (e *shareEnv) master(t *testing.T) harness.MasterStatus {
	t.Helper()
	ms := e.c.Masters(e.bin)
	if len(ms) != 1 {
		t.Fatalf("sshshare status: %d masters %+v; want 1", len(ms), ms)
	}
	return ms[0]
}

// shareMasterLog returns the master's log file so far.
func shareMasterLog(m harness.MasterStatus) string {
	b, _ := os.ReadFile(m.Log)
	return string(b)
}

// shareWaitFor polls cond until it holds or timeout passes, and reports
// which.
func shareWaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(sharePoll)
	}
}

// shareKillMaster sends SIGKILL to a master, which no test started
// directly (the harness's cleanup still makes sure it is gone).
func shareKillMaster(t *testing.T, pid int) {
	t.Helper()
	p, err := os.FindProcess(pid)
	if err != nil {
		t.Fatalf("find master pid %d: %v", pid, err)
	}
	if err := p.Kill(); err != nil {
		t.Fatalf("kill master pid %d: %v", pid, err)
	}
}

// shareFileSHA256 returns the hex SHA-256 of the file at path.
func shareFileSHA256(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("hash %s: %v", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatalf("hash %s: %v", path, err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// shareRandomFile writes n pseudo-random bytes to path and returns their
// hex SHA-256.
func shareRandomFile(t *testing.T, path string, n int) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	r := rand.NewChaCha8([32]byte{'s', 's', 'h', 's', 'h', 'a', 'r', 'e'})
	buf := make([]byte, 1<<20)
	for left := n; left > 0; left -= len(buf) {
		chunk := buf[:min(len(buf), left)]
		r.Read(chunk)
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return shareFileSHA256(t, path)
}

// shareOpen opens path for reading until the test ends.
func shareOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// shareCreate creates path for writing until the test ends.
func shareCreate(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
