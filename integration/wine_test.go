//go:build sshshare_wine

package integration

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
	"github.com/sshshare/sshshare/share/upstream"
)

// The Wine smoke test runs under make test-windows (.ci/test-windows),
// which builds it with the sshshare_wine tag after preparing the Wine
// prefix; make test does not build it.

// wineTransferSize is the size of the file the smoke test moves each way.
const wineTransferSize = 20 << 20

// wineTimeout bounds one ssh, or one sshshare.exe command, under Wine.
const wineTimeout = time.Minute

// wineHost is the alias of the Host block that goes through sshshare.exe.
const wineHost = "w"

// TestWineSmoke: Linux ssh with `ProxyCommand wine /abs/sshshare.exe
// --alias %n %r %h %p` against a loopback sshd. The first ssh starts the
// Windows master, the second and every later one (eight in all, three of
// them at once) reuse it: one login for all of them, 20 MB byte-exact
// each way, $(ssh ...) returns at once, and sshshare.exe status and stop,
// under Wine, see and stop the master. It fails, never skips, when the
// master cannot be started or reached.
func TestWineSmoke(t *testing.T) {
	e := newWineEnv(t)

	e.echo(t, "first ssh (starts the master)")
	first := e.masters(t)
	if len(first) != 1 {
		t.Fatalf("sshshare.exe status after the first ssh: %d masters %+v; want 1", len(first), first)
	}
	e.echo(t, "second ssh (reuses the master)")
	if again := e.masters(t); len(again) != 1 || again[0].Pid != first[0].Pid {
		t.Fatalf("masters after the second ssh: %+v; want the first one (pid %d) alone", again, first[0].Pid)
	}

	e.transfer(t)
	e.captured(t)
	e.concurrent(t, 3)

	if got := e.sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d after every ssh; want 1", got)
	}
	t.Logf("sshd logins: %d", e.sshd.Logins())
	e.stop(t)
}

// wineEnv is an sshd, a client whose Host block runs sshshare.exe under
// Wine, and that Wine.
type wineEnv struct {
	wine *harness.Wine
	sshd *harness.SSHD
	c    *harness.Client
	exe  string // sshshare.exe
}

// newWineEnv builds sshshare.exe and the ssh.exe stand-in, and writes
// the Host block and the stand-in's answer to ssh -G. A cleanup stops the
// masters and kills whatever Wine process of sshshare.exe is left.
func newWineEnv(t *testing.T) *wineEnv {
	w := harness.RequireWine(t)
	e := &wineEnv{wine: w, sshd: harness.StartSSHD(t, harness.SSHDOptions{})}
	e.c = harness.NewClient(t, e.sshd)
	e.exe = harness.WindowsBinary(t, "./cmd/sshshare", "sshshare")
	sshg := harness.WindowsBinary(t, "./integration/harness/sshg", "ssh")
	known := filepath.Join(w.Profile, ".ssh", "sshshare", "known_hosts")
	e.c.AddHost(wineHost,
		"ProxyCommand "+w.Program+" "+e.exe+" --alias %n %r %h %p",
		"GlobalKnownHostsFile "+known)
	answers := t.TempDir()
	for _, host := range []string{wineHost, upstream.ProbeHost} {
		e.writeSSHG(t, host, filepath.Join(answers, host))
	}
	paths := w.WindowsPaths(t, filepath.Dir(sshg), answers)
	e.c.Env = append(w.Env(), "WINEPATH="+paths[0], "SSHSHARE_WINE_SSHG="+paths[1])
	t.Cleanup(func() { e.cleanup(t) })
	return e
}

// writeSSHG writes to path what the Linux ssh -G says of host, as the
// master's ssh -G would say it in the prefix: without the ProxyCommand
// (the view leaves out the line that runs sshshare) and with every path
// in Windows form.
func (e *wineEnv) writeSSHG(t *testing.T, host, path string) {
	res := harness.Run(t, wineTimeout, e.c.SSH("-G", host))
	if res.Code != 0 {
		t.Fatalf("ssh -G %s: %s", host, res)
	}
	var lines [][]string
	var unix []string
	for _, line := range strings.Split(strings.TrimSpace(string(res.Stdout)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] == "proxycommand" {
			continue
		}
		for _, f := range fields[1:] {
			if strings.HasPrefix(f, "/") {
				unix = append(unix, f)
			}
		}
		lines = append(lines, fields)
	}
	windows := e.wine.WindowsPaths(t, unix...)
	var b strings.Builder
	for _, fields := range lines {
		for i, f := range fields {
			if i > 0 && strings.HasPrefix(f, "/") {
				f, windows = windows[0], windows[1:]
			}
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(f)
		}
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// echo runs one ssh through sshshare.exe and checks what it printed.
func (e *wineEnv) echo(t *testing.T, what string) {
	t.Helper()
	res := e.run(t, wineTimeout, e.c.SSH(wineHost, "echo", "hi"))
	if res.Code != 0 || string(res.Stdout) != "hi\n" {
		t.Fatalf("%s: ssh %s echo hi: %s\nsshd log:\n%s", what, wineHost, res, e.sshd.Log())
	}
	t.Logf("%s: %v", what, res.Elapsed.Round(time.Millisecond))
}

// transfer moves a random file up (cat > remote) and back down (cat
// remote), checking both copies byte for byte.
func (e *wineEnv) transfer(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	src, remote, back := filepath.Join(dir, "src"), filepath.Join(dir, "remote"), filepath.Join(dir, "back")
	want := shareRandomFile(t, src, wineTransferSize)
	up := e.c.SSH(wineHost, "cat > "+remote)
	up.Stdin = shareOpen(t, src)
	e.copyStep(t, "20 MB upload", up, remote, want)
	down := e.c.SSH(wineHost, "cat "+remote)
	down.Stdout = shareCreate(t, back)
	e.copyStep(t, "20 MB download", down, back, want)
}

// copyStep runs one copy and checks the file it made.
func (e *wineEnv) copyStep(t *testing.T, what string, cmd *exec.Cmd, made, want string) {
	t.Helper()
	res := e.run(t, wineTimeout, cmd)
	if res.Code != 0 {
		t.Fatalf("%s: %s; want exit 0", what, res)
	}
	if got := shareFileSHA256(t, made); got != want {
		t.Fatalf("%s: sha256 %s; want %s", what, got, want)
	}
	t.Logf("%s: %v", what, res.Elapsed.Round(time.Millisecond))
}

// captured runs ssh inside $(...): the shell gets ssh's output as soon as
// ssh exits, because the master never holds ssh's stdout.
func (e *wineEnv) captured(t *testing.T) {
	t.Helper()
	script := `x=$(ssh -F "$1" ` + wineHost + ` echo captured) && printf '%s\n' "$x"`
	res := e.run(t, 20*time.Second, e.c.Command("sh", "-c", script, "sh", e.c.ConfigPath))
	if res.Code != 0 || string(res.Stdout) != "captured\n" {
		t.Fatalf("$(ssh %s echo captured): %s", wineHost, res)
	}
	t.Logf("$(ssh %s echo captured): %v", wineHost, res.Elapsed.Round(time.Millisecond))
}

// concurrent runs n ssh at once through the one master.
func (e *wineEnv) concurrent(t *testing.T, n int) {
	t.Helper()
	start := time.Now()
	procs := make([]*harness.Proc, n)
	for i := range procs {
		cmd := e.c.SSH(wineHost, "echo", strconv.Itoa(i))
		cmd.Stderr = e.stderrFile(t)
		procs[i] = harness.Start(t, cmd)
	}
	for i, p := range procs {
		if code := p.Wait(t, wineTimeout); code != 0 || p.Stdout() != strconv.Itoa(i)+"\n" {
			t.Fatalf("concurrent ssh %d: exit %d, stdout %q, stderr:\n%s", i, code, p.Stdout(), readStderr(t, p.Cmd))
		}
	}
	t.Logf("%d concurrent ssh: %v", n, time.Since(start).Round(time.Millisecond))
}

// run is harness.Run with ssh's stderr in a file rather than a pipe, read
// back into the result. Under Wine a Windows process always inherits its
// parent's Unix stderr (Wine's spawn_process sets up stdin and stdout
// from the handles it is given, never fd 2), so the detached master holds
// the stderr of the ssh that started it for as long as it runs. Windows
// has no such inheritance: the master gets only the handles it is handed.
// Stdout stays a pipe, which the master must not hold.
func (e *wineEnv) run(t *testing.T, timeout time.Duration, cmd *exec.Cmd) harness.Result {
	t.Helper()
	cmd.Stderr = e.stderrFile(t)
	res := harness.Run(t, timeout, cmd)
	res.Stderr = []byte(readStderr(t, cmd))
	return res
}

// stderrFile is a new file for a command's stderr.
func (e *wineEnv) stderrFile(t *testing.T) *os.File {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// readStderr reads back what cmd wrote to its stderr file.
func readStderr(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	b, err := os.ReadFile(cmd.Stderr.(*os.File).Name())
	if err != nil {
		t.Fatalf("read stderr: %v", err)
	}
	return string(b)
}

// exeCmd is sshshare.exe with args, under Wine, in the client's
// environment.
func (e *wineEnv) exeCmd(args ...string) *exec.Cmd {
	return e.c.Command(e.wine.Program, append([]string{e.exe}, args...)...)
}

// masters returns what sshshare.exe status --json reports.
func (e *wineEnv) masters(t *testing.T) []harness.MasterStatus {
	t.Helper()
	res := harness.Run(t, wineTimeout, e.exeCmd("status", "--json"))
	var out []harness.MasterStatus
	if res.Code != 0 || json.Unmarshal(res.Stdout, &out) != nil {
		t.Fatalf("sshshare.exe status --json: %s", res)
	}
	return out
}

// stop runs sshshare.exe stop --all and checks that status then lists no
// master and that no Wine process of sshshare.exe is left.
func (e *wineEnv) stop(t *testing.T) {
	t.Helper()
	res := harness.Run(t, wineTimeout, e.exeCmd("stop", "--all"))
	if res.Code != 0 {
		t.Fatalf("sshshare.exe stop --all: %s", res)
	}
	t.Logf("sshshare.exe stop --all: %v\n%s%s", res.Elapsed.Round(time.Millisecond), res.Stdout, res.Stderr)
	if m := e.masters(t); len(m) != 0 {
		t.Errorf("sshshare.exe status after stop: %+v; want no master", m)
	}
	if left := e.waitExeGone(5 * time.Second); len(left) != 0 {
		t.Errorf("Wine processes of sshshare.exe %v still running 5s after stop", left)
	}
}

// cleanup stops the masters when the test did not get to, and kills the
// Wine processes of sshshare.exe that are left, failing the test if
// there were any. (.ci/test-windows ends every Wine process in the
// prefix as it ends, too.)
func (e *wineEnv) cleanup(t *testing.T) {
	if len(e.exePids()) == 0 {
		return
	}
	cmd := e.exeCmd("stop", "--all")
	cmd.Stdout, cmd.Stderr = nil, nil
	_ = cmd.Run()
	left := e.waitExeGone(5 * time.Second)
	for _, pid := range left {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	if len(left) != 0 && !t.Failed() {
		t.Errorf("Wine processes of sshshare.exe %v outlived sshshare.exe stop --all; killed", left)
	}
}

// waitExeGone polls until no process runs sshshare.exe, and returns those
// still running after timeout.
func (e *wineEnv) waitExeGone(timeout time.Duration) []int {
	deadline := time.Now().Add(timeout)
	for {
		pids := e.exePids()
		if len(pids) == 0 || time.Now().After(deadline) {
			return pids
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// exePids lists the processes whose command line names this test's
// sshshare.exe: Wine runs each Windows process as a Unix process with
// the program's path among its arguments.
func (e *wineEnv) exePids() []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	dir := filepath.Base(filepath.Dir(e.exe))
	var pids []int
	for _, ent := range entries {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + ent.Name() + "/cmdline")
		if err == nil && bytes.Contains(b, []byte(dir)) && bytes.Contains(bytes.ToLower(b), []byte("sshshare.exe")) {
			pids = append(pids, pid)
		}
	}
	return pids
}
