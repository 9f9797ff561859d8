package integration

import (
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestMuxCold: with no master there is no mux socket, and ssh
// falls back to the ProxyCommand silently: it works, says nothing on
// stderr and starts the master, which then publishes its mux socket; the
// next ssh rides the mux door.
func TestMuxCold(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{})
	if !e.socketGone() {
		t.Fatalf("mux socket %s exists before any master", e.socketPath())
	}
	res := e.ssh(t, "echo", "cold")
	if res.Code != 0 || string(res.Stdout) != "cold\n" || len(res.Stderr) != 0 {
		t.Fatalf("cold ssh %s echo cold: %s; want exit 0, stdout %q, no stderr", shareHost, res, "cold\n")
	}
	e.waitPublished(t)
	if got := e.served(t); got != 0 {
		t.Errorf("mux_sessions = %d after the cold ssh; want 0 (it went through the ProxyCommand)", got)
	}
	res = e.ssh(t, "echo", "warm")
	if res.Code != 0 || string(res.Stdout) != "warm\n" || len(res.Stderr) != 0 {
		t.Errorf("warm ssh %s echo warm: %s; want exit 0, stdout %q, no stderr", shareHost, res, "warm\n")
	}
	e.wantServed(t, 0, 1, "the warm ssh")
	if got := e.sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d; want 1", got)
	}
}

// TestMuxStale: a master killed with SIGKILL leaves its mux socket
// behind. The next ssh gets "Connection refused" there, says so in at most
// one line, falls back to the ProxyCommand, which removes the stale socket
// and starts a fresh master; the ssh after it is silent and rides the new
// master's mux door.
func TestMuxStale(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{})
	e.warm(t)
	lost := e.muxMaster(t)
	shareKillMaster(t, lost.Pid)
	if !harness.WaitPidGone(lost.Pid, muxPublishWait) {
		t.Fatalf("master pid %d still running %v after SIGKILL", lost.Pid, muxPublishWait)
	}
	if e.socketGone() {
		t.Fatalf("mux socket %s gone with its killed master; want it left stale for this test", e.socketPath())
	}
	// The thread that /proc shows as the master may be a zombie while the
	// process's other threads, and its listening socket, are still going.
	if !shareWaitFor(muxPublishWait, func() bool { return muxRefused(e.socketPath()) }) {
		t.Fatalf("mux socket %s still accepts %v after its master was killed", e.socketPath(), muxPublishWait)
	}

	res := e.ssh(t, "echo", "after")
	if res.Code != 0 || string(res.Stdout) != "after\n" {
		t.Fatalf("ssh %s echo after, with a stale mux socket: %s; want exit 0, stdout %q", shareHost, res, "after\n")
	}
	refused := "Control socket connect(" + e.socketPath() + "): Connection refused"
	if lines := muxStderrLines(res.Stderr); len(lines) > 1 || len(lines) == 1 && lines[0] != refused {
		t.Errorf("ssh with a stale mux socket: stderr %q; want at most the line %q", res.Stderr, refused)
	}
	e.waitPublished(t)
	if m := e.muxMaster(t); m.Pid == lost.Pid {
		t.Fatalf("master pid %d after the stale socket; want a fresh master", m.Pid)
	}
	before := e.served(t)
	res = e.ssh(t, "echo", "next")
	if res.Code != 0 || string(res.Stdout) != "next\n" || len(res.Stderr) != 0 {
		t.Errorf("next ssh %s echo next: %s; want exit 0, stdout %q, no stderr", shareHost, res, "next\n")
	}
	e.wantServed(t, before, 1, "the ssh after the stale socket was replaced")
}

// muxStderrLines splits ssh's stderr into lines, dropping the CR that ssh
// ends some of them with.
func muxStderrLines(stderr []byte) []string {
	s := strings.TrimRight(strings.ReplaceAll(string(stderr), "\r", ""), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// muxRefused reports whether a connection to the socket at path is
// refused: nothing listens there any more.
func muxRefused(path string) bool {
	c, err := net.Dial("unix", path)
	if err == nil {
		c.Close()
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}
