//go:build linux

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// plantScript is a fake master: it listens on the Unix socket argv[1],
// prints "listening", and for each connection prints "accept" and then
// "bytes N", the number of bytes the client sent before closing or
// falling silent for 2 s. It answers nothing.
const plantScript = `
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
print("listening", flush=True)
while True:
    c, _ = s.accept()
    print("accept", flush=True)
    c.settimeout(2)
    n = 0
    try:
        while True:
            b = c.recv(65536)
            if not b:
                break
            n += len(b)
    except OSError:
        pass
    c.close()
    print("bytes", n, flush=True)
`

// plantedMaster is a fake master someone planted at a socket path.
type plantedMaster struct{ p *harness.Proc }

// plantMaster starts plantScript on path as cred (nil: as the test's
// user) and waits until it listens.
func plantMaster(t *testing.T, path string, cred *syscall.Credential) *plantedMaster {
	t.Helper()
	cmd := exec.Command(sharePython(t), "-c", plantScript, path)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C"}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	p := harness.Start(t, cmd)
	if !shareWaitFor(10*time.Second, func() bool { return strings.Contains(p.Stdout(), "listening") }) {
		t.Fatalf("fake master on %s did not start: %s", path, p.Stderr())
	}
	return &plantedMaster{p}
}

// bytes returns how many bytes the fake master has received, once every
// connection it accepted is closed (bounded).
func (m *plantedMaster) bytes(t *testing.T) int {
	t.Helper()
	done := func() bool {
		out := m.p.Stdout()
		return strings.Count(out, "accept") == strings.Count(out, "bytes")
	}
	if !shareWaitFor(10*time.Second, done) {
		t.Fatalf("fake master still reading: %q", m.p.Stdout())
	}
	n := 0
	for _, line := range strings.Split(m.p.Stdout(), "\n") {
		if v, ok := strings.CutPrefix(line, "bytes "); ok {
			b, _ := strconv.Atoi(v)
			n += b
		}
	}
	return n
}

// plantDir makes a fresh directory outside the test's private temp
// directory (which other users cannot enter), with mode and owner uid.
func plantDir(t *testing.T, mode os.FileMode, uid, gid int) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sshshare-plant-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestShareRefusesPlantedMaster reproduces the review's finding 1: with a
// control path in a directory someone else could make or write, a fake
// master listening at the socket path got ssh's hello and stdio (and so
// the user's password and commands). Now the invocation checks the
// directory, the socket and the listening process's uid first: the fake
// master receives zero bytes, and ssh exits 255 with one sshshare: line
// naming the path and the problem.
func TestShareRefusesPlantedMaster(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	c := harness.NewClient(t, sshd)
	c.Env = append(c.Env, "GORACE=atexit_sleep_ms=0")
	bin := harness.Binary(t)
	me, gid := os.Getuid(), os.Getgid()
	// One Host block; each case sets the control path in the environment,
	// so that the socket's name (which a hash of ssh's command line ends)
	// is the same in every directory: learnt from a real master first.
	c.AddHost("planted",
		"ProxyCommand "+bin+" -F "+c.ConfigPath+" --alias %n %r %h %p",
		"GlobalKnownHostsFile "+c.LocalKnownHosts())
	ssh := func(dir string) harness.Result {
		cmd := c.SSH("planted", "echo ran")
		cmd.Env = append(cmd.Env, "SSHSHARE_CONTROL_PATH="+filepath.Join(dir, "sock"))
		return harness.Run(t, sshTimeout, cmd)
	}
	if res := ssh(plantDir(t, 0o700, me, gid)); res.Code != 0 {
		t.Fatalf("ssh through a real master: %s", res)
	}
	ms := c.Masters(bin)
	if len(ms) != 1 {
		t.Fatalf("masters: %+v; want 1", ms)
	}
	name := filepath.Base(ms[0].Socket)
	c.StopMasters(bin)
	tests := []struct {
		name     string
		rootOnly string // why the case needs root, "" if it does not
		plant    func(t *testing.T) (dir string, m *plantedMaster)
		want     string
	}{
		{"directory made by another user", "to run the fake master as user nobody", func(t *testing.T) (string, *plantedMaster) {
			nobody := shareNobody(t)
			dir := plantDir(t, 0o755, int(nobody.Uid), int(nobody.Gid))
			return dir, plantMaster(t, filepath.Join(dir, name), nobody)
		}, "is owned by uid 65534"},
		{"directory open to others", "", func(t *testing.T) (string, *plantedMaster) {
			dir := plantDir(t, 0o777, me, gid)
			return dir, plantMaster(t, filepath.Join(dir, name), nil)
		}, "is writable by group or others (mode 0777)"},
		{"master of another uid", "to run the fake master as user nobody", func(t *testing.T) (string, *plantedMaster) {
			// The socket file is the user's, in the user's 0700
			// directory; only the process listening is not.
			nobody := shareNobody(t)
			stage := plantDir(t, 0o777, me, gid)
			m := plantMaster(t, filepath.Join(stage, "sock"), nobody)
			dir := plantDir(t, 0o700, me, gid)
			socket := filepath.Join(dir, name)
			if err := os.Link(filepath.Join(stage, "sock"), socket); err != nil {
				t.Fatal(err)
			}
			if err := os.Lchown(socket, me, gid); err != nil {
				t.Fatal(err)
			}
			return dir, m
		}, "is served by a process of uid 65534"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.rootOnly != "" && os.Geteuid() != 0 {
				t.Skip("needs root " + tt.rootOnly)
			}
			dir, m := tt.plant(t)
			res := ssh(dir)
			t.Logf("ssh: %s", res)
			t.Cleanup(func() { c.StopMasters(bin) }) // on main, a real master replaced the fake
			if got := m.bytes(t); got != 0 {
				t.Errorf("fake master received %d bytes; want 0", got)
			}
			if res.Code != 255 || strings.Contains(string(res.Stdout), "ran") {
				t.Errorf("ssh exit %d, stdout %q; want 255 and no command run", res.Code, res.Stdout)
			}
			line := ""
			for _, l := range strings.Split(string(res.Stderr), "\n") {
				if strings.HasPrefix(l, "sshshare: ") && !strings.HasPrefix(l, "sshshare: hint: ") {
					line = l
					break
				}
			}
			if !strings.Contains(line, dir) || !strings.Contains(line, tt.want) {
				t.Errorf("sshshare's line: %q; want the path and %q", line, tt.want)
			}
			if !strings.Contains(string(res.Stderr), "sshshare: hint: ") {
				t.Errorf("stderr has no hint:\n%s", res.Stderr)
			}
		})
	}
}
