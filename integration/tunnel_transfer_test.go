package integration

import (
	"bufio"
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// tunnelBulkSize is the random payload of TestTunnelBulkData.
const tunnelBulkSize = 20 << 20

// tunnelBulkTimeout bounds one 20 MB transfer (race-built binary, slow CI).
const tunnelBulkTimeout = 90 * time.Second

// TestTunnelBulkData: 20 MB of random bytes go up to a file on the target
// and come back bit-exact, and also stream through `cat` both ways at once,
// each through a tunnel of the one bastion master.
func TestTunnelBulkData(t *testing.T) {
	e := newTunnelEnv(t)
	payload := tunnelRandom(tunnelBulkSize)
	want := tunnelSHA256(payload)
	remote := filepath.Join(t.TempDir(), "remote")

	up := e.c.SSH(tunnelTarget, "cat > "+remote)
	up.Stdin = bytes.NewReader(payload)
	res := harness.Run(t, tunnelBulkTimeout, up)
	if res.Code != 0 {
		t.Fatalf("ssh target 'cat > file': %s; want exit 0\nmaster logs:\n%s", res, e.c.MasterLogs())
	}
	if got := tunnelFileSHA256(t, remote); got != want {
		t.Fatalf("uploaded file sha256 = %s; want %s", got, want)
	}
	t.Logf("up 20 MB: %v (%.0f MB/s)", res.Elapsed.Round(time.Millisecond), tunnelRate(res.Elapsed))

	res = harness.Run(t, tunnelBulkTimeout, e.c.SSH(tunnelTarget, "cat "+remote))
	if res.Code != 0 {
		t.Fatalf("ssh target 'cat file': %s; want exit 0", res)
	}
	if got := tunnelSHA256(res.Stdout); len(res.Stdout) != tunnelBulkSize || got != want {
		t.Fatalf("downloaded %d bytes, sha256 %s; want %d bytes, sha256 %s", len(res.Stdout), got, tunnelBulkSize, want)
	}
	t.Logf("down 20 MB: %v (%.0f MB/s)", res.Elapsed.Round(time.Millisecond), tunnelRate(res.Elapsed))

	through := e.c.SSH(tunnelTarget, "cat")
	through.Stdin = bytes.NewReader(payload)
	res = harness.Run(t, tunnelBulkTimeout, through)
	if res.Code != 0 {
		t.Fatalf("ssh target cat: %s; want exit 0", res)
	}
	if got := tunnelSHA256(res.Stdout); len(res.Stdout) != tunnelBulkSize || got != want {
		t.Fatalf("cat through: got %d bytes, sha256 %s; want %d bytes, sha256 %s", len(res.Stdout), got, tunnelBulkSize, want)
	}
	t.Logf("cat through 20 MB: %v", res.Elapsed.Round(time.Millisecond))

	if got := e.bastion.Logins(); got != 1 {
		t.Errorf("bastion sshd logins = %d; want 1", got)
	}
}

// TestTunnelTools: scp (SFTP protocol and legacy -O) and sftp move a small
// file there and back through the tunnel, and a -L forward inside the end
// to end session carries a TCP connection.
func TestTunnelTools(t *testing.T) {
	e := newTunnelEnv(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	content := "tunnel tools " + strconv.FormatInt(time.Now().UnixNano(), 10) + "\n"
	if err := os.WriteFile(src, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name     string
		up, down func(t *testing.T, local, remote string) *exec.Cmd
	}{
		{"scp", e.scpUp(), e.scpDown()},
		{"scp -O", e.scpUp("-O"), e.scpDown("-O")},
		{"sftp", e.sftp("put"), e.sftp("get")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			remote := filepath.Join(t.TempDir(), "remote")
			back := filepath.Join(t.TempDir(), "back")
			if res := harness.Run(t, sshTimeout, tc.up(t, src, remote)); res.Code != 0 {
				t.Fatalf("%s upload: %s; want exit 0\nmaster logs:\n%s", tc.name, res, e.c.MasterLogs())
			}
			if res := harness.Run(t, sshTimeout, tc.down(t, back, remote)); res.Code != 0 {
				t.Fatalf("%s download: %s; want exit 0", tc.name, res)
			}
			got, err := os.ReadFile(back)
			if err != nil || string(got) != content {
				t.Fatalf("%s round trip: got %q (%v); want %q", tc.name, got, err, content)
			}
		})
	}

	t.Run("-L", func(t *testing.T) { e.checkLocalForward(t) })

	if got := e.bastion.Logins(); got != 1 {
		t.Errorf("bastion sshd logins = %d; want 1", got)
	}
}

// scpUp returns an scp upload with flags.
func (e *tunnelEnv) scpUp(flags ...string) func(t *testing.T, local, remote string) *exec.Cmd {
	return func(_ *testing.T, local, remote string) *exec.Cmd {
		args := append(slices.Clone(flags), "-q", local, tunnelTarget+":"+remote)
		return e.c.Command("scp", args...)
	}
}

// scpDown returns an scp download with flags.
func (e *tunnelEnv) scpDown(flags ...string) func(t *testing.T, local, remote string) *exec.Cmd {
	return func(_ *testing.T, local, remote string) *exec.Cmd {
		args := append(slices.Clone(flags), "-q", tunnelTarget+":"+remote, local)
		return e.c.Command("scp", args...)
	}
}

// sftp returns a one-command sftp -b batch, op being put or get.
func (e *tunnelEnv) sftp(op string) func(t *testing.T, local, remote string) *exec.Cmd {
	return func(_ *testing.T, local, remote string) *exec.Cmd {
		line := "put " + local + " " + remote
		if op == "get" {
			line = "get " + remote + " " + local
		}
		cmd := e.c.Command("sftp", "-q", "-b", "-", tunnelTarget)
		cmd.Stdin = strings.NewReader(line + "\n")
		return cmd
	}
}

// checkLocalForward runs ssh -N -L through the tunnel to an echo server
// of this test and sends a line through the forward.
func (e *tunnelEnv) checkLocalForward(t *testing.T) {
	t.Helper()
	echo := harness.EchoServer(t)
	local := tunnelClosedPort(t)
	spec := "127.0.0.1:" + strconv.Itoa(local) + ":" + echo
	p := harness.Start(t, e.c.SSH("-N", "-o", "ExitOnForwardFailure=yes", "-L", spec, tunnelTarget))
	defer p.Kill()

	addr := "127.0.0.1:" + strconv.Itoa(local)
	var conn net.Conn
	deadline := time.Now().Add(sshTimeout)
	for conn == nil {
		if p.Exited() {
			t.Fatalf("ssh -N -L %s exited %d; want it running\nstderr:\n%s", spec, p.ExitCode(), p.Stderr())
		}
		if time.Now().After(deadline) {
			t.Fatalf("ssh -L %s: nothing listens on %s after %v\nstderr:\n%s", spec, addr, sshTimeout, p.Stderr())
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		conn = c
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	const msg = "through -L inside the tunnel\n"
	if _, err := io.WriteString(conn, msg); err != nil {
		t.Fatalf("write through -L: %v", err)
	}
	got, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || got != msg {
		t.Fatalf("echo through -L: got %q (%v); want %q", got, err, msg)
	}
}

// tunnelEchoServer listens on 127.0.0.1 and echoes every connection back

// tunnelRandom returns n reproducible pseudo-random bytes.
func tunnelRandom(n int) []byte {
	r := rand.NewChaCha8([32]byte{'t', 'u', 'n', 'n', 'e', 'l'})
	b := make([]byte, n)
	_, _ = r.Read(b)
	return b
}

// tunnelRate is tunnelBulkSize over d in MB/s.
func tunnelRate(d time.Duration) float64 {
	return float64(tunnelBulkSize) / 1e6 / d.Seconds()
}
