package integration

import (
	"bytes"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// muxLeakRounds is how many rounds of each kind of mux client the leak
// test runs.
const muxLeakRounds = 8

// TestMuxNoFdLeak: the master keeps no descriptor from the mux clients it
// has served (the three ssh passes per session, two per stdio forward,
// the control connections): after rounds of sessions with and without a
// tty, stdio forwards and -O check, it has no more open files than
// before them.
func TestMuxNoFdLeak(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{})
	requirePTY(t, e.shareEnv)
	before := e.warm(t)
	echo := harness.EchoServer(t)
	pid := e.muxMaster(t).Pid
	// Whatever the first sessions set up once: a terminal session makes
	// the master log in once more for the sessions without one
	// (TestMuxSplit).
	e.mustSSH(t, "true")
	e.mustSSH(t, "-tt", "true")
	waitForUpstreams(t, e, 2)
	open := muxOpenFds(t, pid)
	for range muxLeakRounds {
		e.mustSSH(t, "echo out; echo err >&2")
		e.mustSSH(t, "-tt", "true")
		cmd := e.c.SSH("-W", echo, shareHost)
		cmd.Stdin = bytes.NewReader([]byte("ping"))
		if res := harness.Run(t, sshTimeout, cmd); res.Code != 0 || string(res.Stdout) != "ping" {
			t.Fatalf("ssh -W %s: %s; want exit 0 and the ping back", echo, res)
		}
		if res := harness.Run(t, sshTimeout, e.c.SSH("-O", "check", shareHost)); res.Code != 0 {
			t.Fatalf("ssh -O check: %s; want exit 0", res)
		}
	}
	e.wantServed(t, before, 2+3*muxLeakRounds, "the leak test's sessions and stdio forwards")
	var now int
	if !shareWaitFor(5*time.Second, func() bool { now = muxOpenFds(t, pid); return now <= open }) {
		t.Errorf("master pid %d: %d open files after %d rounds of mux clients; want at most the %d it had before", pid, now, muxLeakRounds, open)
	}
	t.Logf("master open files: %d before, %d after", open, now)
}

// muxOpenFds counts the open files of process pid.
func muxOpenFds(t *testing.T, pid int) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		t.Fatalf("open files of pid %d: %v", pid, err)
	}
	return len(fds)
}
