package integration

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// stopWithin is how soon after `sshshare stop` the master must be gone.
const stopWithin = time.Second

// TestLifecycleStop: `sshshare stop` with each way of naming a master
// ends it within a second, and status then neither lists it nor finds a
// stale socket to report.
func TestLifecycleStop(t *testing.T) {
	l := newLifecycle(t, 0)
	for _, tc := range []struct{ name, arg string }{
		{"host", l.sshd.Host},
		{"user@host:port", l.target(l.sshd.Port)},
		{"alias as typed to ssh", lifecycleHost},
		{"all", "--all"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l.mustSSH(t, "true")
			m := l.master(t)
			start := time.Now()
			res := l.sshshare(t, "stop", tc.arg)
			if res.Code != 0 {
				t.Fatalf("sshshare stop %s: %s; want exit 0", tc.arg, res)
			}
			took := l.waitGone(t, m.Pid, start, 5*time.Second)
			t.Logf("sshshare stop %s: master gone after %v", tc.arg, took.Round(time.Millisecond))
			if took > stopWithin {
				t.Errorf("master pid %d gone %v after sshshare stop %s; want within %v",
					m.Pid, took.Round(time.Millisecond), tc.arg, stopWithin)
			}
			res = l.sshshare(t, "status", "--json")
			if res.Code != 0 || strings.TrimSpace(string(res.Stdout)) != "[]" || len(res.Stderr) != 0 {
				t.Errorf("sshshare status --json after stop: %s; want exit 0, stdout [], empty stderr", res)
			}
			if _, err := os.Stat(m.Socket); !os.IsNotExist(err) {
				t.Errorf("socket %s after stop: %v; want it removed", m.Socket, err)
			}
		})
	}
}

// TestLifecycleStopWithClients: stop without --drain closes at once, like
// ssh -O exit: a running session's ssh exits 255, and the user is told
// why in a "sshshare: ..." line (ssh's own "client_loop: send disconnect:
// Broken pipe" does not say).
func TestLifecycleStopWithClients(t *testing.T) {
	l := newLifecycle(t, 0)
	ssh := startSession(t, l, "echo started; exec sleep 30")
	m := l.master(t)
	start := time.Now()
	if res := l.sshshare(t, "stop", l.sshd.Host); res.Code != 0 {
		t.Fatalf("sshshare stop %s: %s; want exit 0", l.sshd.Host, res)
	}
	if code := ssh.Wait(t, 5*time.Second); code != 255 {
		t.Errorf("ssh of a session on a stopped master: exit %d; want 255\nstderr:\n%s", code, ssh.Stderr())
	}
	if !strings.Contains(ssh.Stderr(), "sshshare: ") {
		t.Errorf("ssh of a session on a stopped master: stderr %q; want an \"sshshare: ...\" line saying the master was stopped", ssh.Stderr())
	}
	t.Logf("session ssh exited %v after stop; stderr: %q", time.Since(start).Round(time.Millisecond), ssh.Stderr())
	if took := l.waitGone(t, m.Pid, start, 5*time.Second); took > stopWithin {
		t.Errorf("master pid %d gone %v after stop with a live session; want within %v", m.Pid, took.Round(time.Millisecond), stopWithin)
	}
}

// TestLifecycleStopDrain: stop --drain lets a running `sleep 3` session
// finish with exit 0, then the master exits; a client arriving during the
// drain gets a fresh master and succeeds, and status lists that master
// after the drained one is gone.
func TestLifecycleStopDrain(t *testing.T) {
	l := newLifecycle(t, 0)
	l.mustSSH(t, "true")
	old := l.master(t)
	ssh := startSession(t, l, "echo started; sleep 3")

	if res := l.sshshare(t, "stop", "--drain", l.sshd.Host); res.Code != 0 {
		t.Fatalf("sshshare stop --drain %s: %s; want exit 0", l.sshd.Host, res)
	}
	if !harness.PidAlive(old.Pid) {
		t.Fatalf("master pid %d gone right after stop --drain with a session running; want it draining\nlogs:\n%s", old.Pid, l.logs())
	}

	res := l.mustSSH(t, "echo", "fresh")
	if string(res.Stdout) != "fresh\n" {
		t.Errorf("ssh during the drain: stdout %q; want %q", res.Stdout, "fresh\n")
	}
	var fresh int
	for _, m := range l.masters(t) {
		if m.Pid != old.Pid {
			fresh = m.Pid
		}
	}
	if fresh == 0 {
		t.Fatalf("status during the drain lists no master but the draining pid %d; want a fresh one\nlogs:\n%s", old.Pid, l.logs())
	}
	sessionRunning := !ssh.Exited()
	if sessionRunning && !harness.PidAlive(old.Pid) {
		t.Errorf("draining master pid %d exited while its session still ran", old.Pid)
	}

	if code := ssh.Wait(t, 10*time.Second); code != 0 || ssh.Stdout() != "started\n" {
		t.Errorf("drained session ssh: exit %d, stdout %q; want exit 0, %q\nstderr:\n%s",
			code, ssh.Stdout(), "started\n", ssh.Stderr())
	}
	ended := time.Now()
	took := l.waitGone(t, old.Pid, ended, 5*time.Second)
	t.Logf("drained master gone %v after its last session ended (session still running when the fresh client came: %t)",
		took.Round(time.Millisecond), sessionRunning)
	if took > stopWithin {
		t.Errorf("drained master gone %v after its last session ended; want within %v", took.Round(time.Millisecond), stopWithin)
	}

	if !harness.PidAlive(fresh) {
		t.Fatalf("fresh master pid %d died with the drained one\nlogs:\n%s", fresh, l.logs())
	}
	if !l.listed(t, fresh) {
		t.Errorf("status after the drained master exited: %+v; want the fresh master pid %d listed\nlogs:\n%s",
			l.masters(t), fresh, l.logs())
	}
	l.mustSSH(t, "true")
	if got := l.sshd.Logins(); got != 2 {
		t.Errorf("sshd logins = %d; want 2 (the drained master's and the fresh one's)", got)
	}
}

// startSession starts `ssh lifecycleHost cmd`, where cmd prints
// "started" first, and polls its output until that line arrives.
func startSession(t *testing.T, l *lifecycle, cmd string) *harness.Proc {
	t.Helper()
	ssh := harness.Start(t, l.c.SSH(lifecycleHost, cmd))
	deadline := time.Now().Add(sshTimeout)
	for ssh.Stdout() != "started\n" {
		if ssh.Exited() || time.Now().After(deadline) {
			t.Fatalf("ssh %s %q: stdout %q, exited %t; want %q\nstderr:\n%s\nlogs:\n%s",
				lifecycleHost, cmd, ssh.Stdout(), ssh.Exited(), "started\n", ssh.Stderr(), l.logs())
		}
		time.Sleep(lifecyclePoll)
	}
	return ssh
}
