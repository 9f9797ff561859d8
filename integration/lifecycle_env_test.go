package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// lifecycleHost is the alias the lifecycle tests reach through sshshare.
const lifecycleHost = "h"

// lifecyclePoll is how often the lifecycle tests poll a pid or a status.
const lifecyclePoll = 10 * time.Millisecond

// lifecycle is a client whose lifecycleHost goes through sshshare, with
// the commands that start, list and stop its masters.
type lifecycle struct {
	sshd *harness.SSHD
	c    *harness.Client
	bin  string

	mu      sync.Mutex
	sockets map[string]bool // every socket status listed, for logs
}

// newLifecycle starts an sshd and returns a client for it; see
// newLifecycleClient.
func newLifecycle(t *testing.T, persist time.Duration, lines ...string) *lifecycle {
	t.Helper()
	return newLifecycleClient(t, harness.StartSSHD(t, harness.SSHDOptions{}), persist, lines...)
}

// newLifecycleClient makes a client of sshd with its own HOME, so its own
// masters, whose lifecycleHost goes through sshshare with lines added to
// the Host block. A persist above 0 reaches every master the proxy starts
// through SSHSHARE_PERSIST. Every sshshare process runs with
// GORACE=atexit_sleep_ms=0. Cleanups stop the client's masters, then kill
// any master process nobody listed and fail the test for it.
func newLifecycleClient(t *testing.T, sshd *harness.SSHD, persist time.Duration, lines ...string) *lifecycle {
	t.Helper()
	c := harness.NewClient(t, sshd)
	// A -race build sleeps 1 s at exit to collect reports (GORACE
	// atexit_sleep_ms); that would add a second to every master's exit and
	// every proxy's, which these tests time.
	c.Env = append(c.Env, "GORACE=atexit_sleep_ms=0")
	if persist > 0 {
		c.Env = append(c.Env, "SSHSHARE_PERSIST="+persist.String())
	}
	l := &lifecycle{sshd: sshd, c: c, bin: harness.Binary(t), sockets: make(map[string]bool)}
	t.Cleanup(l.killLeaked(t)) // runs after AddShareHost's StopMasters
	c.AddShareHost(lifecycleHost, l.bin, lines...)
	return l
}

// killLeaked returns a cleanup that kills the client's master processes
// still running once every listed master was stopped: a master that
// status did not list, and that would otherwise outlive the test.
func (l *lifecycle) killLeaked(t *testing.T) func() {
	t.Helper()
	return func() {
		t.Helper()
		killMasters(t, l.c, func(pid int) {
			t.Errorf("master pid %d still running after sshshare stop --all; status did not list it\nlogs:\n%s", pid, l.logs())
		})
	}
}

// killMasters kills c's master processes that are still running, telling
// leaked of each first. One already on its way out gets 2 s to finish.
func killMasters(t *testing.T, c *harness.Client, leaked func(pid int)) {
	t.Helper()
	for _, pid := range c.MasterPids() {
		if harness.WaitPidGone(pid, 2*time.Second) {
			continue
		}
		leaked(pid)
		sigkill(t, pid)
		if !harness.WaitPidGone(pid, 5*time.Second) {
			t.Errorf("master pid %d survived SIGKILL", pid)
		}
	}
}

// ssh runs `ssh lifecycleHost args...` to completion.
func (l *lifecycle) ssh(t *testing.T, args ...string) harness.Result {
	t.Helper()
	return harness.Run(t, sshTimeout, l.c.SSH(append([]string{lifecycleHost}, args...)...))
}

// mustSSH runs `ssh lifecycleHost args...` and fails the test unless it
// exits 0.
func (l *lifecycle) mustSSH(t *testing.T, args ...string) harness.Result {
	t.Helper()
	res := l.ssh(t, args...)
	if res.Code != 0 {
		t.Fatalf("ssh %s %s: %s; want exit 0\nlogs:\n%s", lifecycleHost, strings.Join(args, " "), res, l.logs())
	}
	return res
}

// sshWithin runs `ssh lifecycleHost args...` for at most timeout. Unlike
// ssh, a hang is not fatal: it kills ssh and returns timedOut, so a test
// can count it as a failure and carry on.
func (l *lifecycle) sshWithin(t harness.TB, timeout time.Duration, args ...string) (res harness.Result, timedOut bool) {
	t.Helper()
	start := time.Now()
	p := harness.Start(t, l.c.SSH(append([]string{lifecycleHost}, args...)...))
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-p.Done():
		if p.ExitCode() < 0 {
			// Killed by a signal: say which, as the exit code cannot.
			t.Logf("ssh %s %s: %v", lifecycleHost, strings.Join(args, " "), p.Cmd.ProcessState)
		}
	case <-timer.C:
		timedOut = true
		p.Kill()
	}
	return harness.Result{
		Stdout: []byte(p.Stdout()), Stderr: []byte(p.Stderr()),
		Code: p.ExitCode(), Elapsed: time.Since(start),
	}, timedOut
}

// sshshare runs the sshshare binary with args to completion.
func (l *lifecycle) sshshare(t *testing.T, args ...string) harness.Result {
	t.Helper()
	return harness.Run(t, sshTimeout, l.c.Command(l.bin, args...))
}

// start runs `sshshare start lifecycleHost` with the client's config and
// socket template, and extra args.
func (l *lifecycle) start(t *testing.T, extra ...string) harness.Result {
	t.Helper()
	args := append([]string{"start", lifecycleHost, "-F", l.c.ConfigPath,
		"--control-path", l.c.ShareControlPath()}, extra...)
	return l.sshshare(t, args...)
}

// target is the user@host:port that status reports for lifecycleHost when
// it reaches the sshd on port.
func (l *lifecycle) target(port int) string {
	return fmt.Sprintf("%s@%s:%d", l.sshd.User, l.sshd.Host, port)
}

// masters returns what `sshshare status --json` lists.
func (l *lifecycle) masters(t *testing.T) []harness.MasterStatus {
	t.Helper()
	ms := l.c.Masters(l.bin)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range ms {
		l.sockets[m.Socket] = true
	}
	return ms
}

// master returns the only master status lists.
func (l *lifecycle) master(t *testing.T) harness.MasterStatus {
	t.Helper()
	ms := l.masters(t)
	if len(ms) != 1 {
		t.Fatalf("sshshare status: %d masters %+v; want 1\nlogs:\n%s", len(ms), ms, l.logs())
	}
	return ms[0]
}

// listed reports whether status lists a master with pid.
func (l *lifecycle) listed(t *testing.T, pid int) bool {
	t.Helper()
	return slices.ContainsFunc(l.masters(t), func(m harness.MasterStatus) bool { return m.Pid == pid })
}

// waitGone polls until pid no longer runs and returns how long that took
// from since; it fails the test if pid still runs after timeout.
func (l *lifecycle) waitGone(t *testing.T, pid int, since time.Time, timeout time.Duration) time.Duration {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for harness.PidAlive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("master pid %d still running %v later; want it gone\nlogs:\n%s",
				pid, time.Since(since).Round(time.Millisecond), l.logs())
		}
		time.Sleep(lifecyclePoll)
	}
	return time.Since(since)
}

// logs returns every master log of the client (SOCKET.log beside each
// socket): those in its socket directory and, for a socket path too long
// for the OS that sshshare moved elsewhere, those of the sockets status
// has listed. For failure messages and counting masters.
func (l *lifecycle) logs() string {
	paths, _ := filepath.Glob(filepath.Join(l.c.ShareDir(), "*.log"))
	l.mu.Lock()
	for s := range l.sockets {
		if !slices.Contains(paths, s+".log") {
			paths = append(paths, s+".log")
		}
	}
	l.mu.Unlock()
	slices.Sort(paths)
	var b strings.Builder
	for _, p := range paths {
		data, _ := os.ReadFile(p)
		fmt.Fprintf(&b, "== %s\n%s", p, data)
	}
	return b.String()
}

// mastersStarted counts the masters that logged in, by the lines each
// writes to its log once ready.
func (l *lifecycle) mastersStarted() int {
	return strings.Count(l.logs(), "master ready")
}

// sigkill sends SIGKILL to pid, a master no test started directly.
func sigkill(t *testing.T, pid int) {
	t.Helper()
	p, err := os.FindProcess(pid)
	if err != nil {
		t.Fatalf("find pid %d: %v", pid, err)
	}
	if err := p.Kill(); err != nil {
		t.Fatalf("kill -9 %d: %v", pid, err)
	}
}

// medianDuration returns the median of ds (the upper one of an even count).
func medianDuration(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// roundAll formats durations to milliseconds for logs.
func roundAll(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.Round(time.Millisecond).String()
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// portLine is the ssh config line that sends lifecycleHost to port.
func portLine(port int) string { return "Port " + strconv.Itoa(port) }

// workerTB is the harness.TB of a worker goroutine that a test starts
// (harness functions must call Fatalf on the goroutine they run on): its
// Fatalf fails the test and ends only the worker, as t.Fatalf ends a
// test's goroutine. The test must wait for its workers before it returns.
type workerTB struct{ t *testing.T }

func (w workerTB) Helper()                         {}
func (w workerTB) Cleanup(f func())                { w.t.Cleanup(f) }
func (w workerTB) Logf(format string, args ...any) { w.t.Logf(format, args...) }
func (w workerTB) TempDir() string                 { return w.t.TempDir() }

// Fatalf reports the failure on the test and ends the worker goroutine.
func (w workerTB) Fatalf(format string, args ...any) {
	w.t.Errorf(format, args...)
	runtime.Goexit()
}
