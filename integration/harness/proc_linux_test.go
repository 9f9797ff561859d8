package harness

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readPids polls file until it holds n pids, one a line.
func readPids(t *testing.T, file string, n int) []int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(file)
		fields := strings.Fields(string(b))
		if len(fields) >= n {
			var pids []int
			for _, f := range fields[:n] {
				pid, err := strconv.Atoi(f)
				if err != nil {
					t.Fatalf("pid file %s: %q", file, b)
				}
				pids = append(pids, pid)
			}
			return pids
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid file %s: %q after 5s; want %d pids", file, b, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// requireGone fails unless every pid is gone or a zombie.
func requireGone(t *testing.T, pids []int) {
	t.Helper()
	if alive := alivePids(pids); len(alive) > 0 {
		for _, pid := range alive {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		t.Fatalf("processes %v survived", alive)
	}
}

// A process that left the group with setsid, as sshd's per-connection
// children do, still dies with its ancestor.
func TestKillReachesOtherSessions(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pids")
	p := Start(t, exec.Command("sh", "-c",
		"sleep 60 & echo $! >"+pidFile+"; setsid sleep 60 & echo $! >>"+pidFile+"; wait"))
	pids := readPids(t, pidFile, 2)
	p.Kill()
	requireGone(t, pids)
}

func TestRunTimeoutKillsTree(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pids")
	expectFatal(t, func(tb TB) {
		Run(tb, 500*time.Millisecond, exec.Command("sh", "-c",
			"sleep 60 & echo $! >"+pidFile+"; setsid sleep 60 & echo $! >>"+pidFile+"; wait"))
	})
	requireGone(t, readPids(t, pidFile, 2))
}

// A daemon that escapes and keeps the caller's stdout is the bug that
// makes $(ssh host cmd) hang; Run reports it instead of hanging.
func TestRunReportsHeldOutput(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	t.Cleanup(func() {
		for _, pid := range readPids(t, pidFile, 1) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	msg := expectFatal(t, func(tb TB) {
		Run(tb, 10*time.Second, exec.Command("sh", "-c", "setsid sleep 60 & echo $! >"+pidFile))
	})
	if !strings.Contains(msg, "stayed open") {
		t.Errorf("Fatalf message %q; want it to say the output stayed open", msg)
	}
}

// A command that asks for its own session (as one on a pty does) still
// starts, and is still killed with its children.
func TestStartWithSetsid(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pids")
	cmd := exec.Command("sh", "-c", "sleep 60 & echo $! >"+pidFile+"; wait")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	p := Start(t, cmd)
	pids := readPids(t, pidFile, 1)
	p.Kill()
	requireGone(t, pids)
}
