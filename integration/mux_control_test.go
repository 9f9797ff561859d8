package integration

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// masterRunningRE matches `ssh -O check`'s report.
var masterRunningRE = regexp.MustCompile(`^Master running \(pid=(\d+)\)$`)

// TestMuxCheck: `ssh -O check` asks the mux door, which answers
// with the master's pid; with no master, ssh finds no socket and fails
// as it does with ControlMaster, without starting one.
func TestMuxCheck(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{})
	t.Run("no master", func(t *testing.T) {
		res := harness.Run(t, sshTimeout, e.c.SSH("-O", "check", shareHost))
		want := "Control socket connect(" + e.socketPath() + "): No such file or directory"
		if lines := muxStderrLines(res.Stderr); res.Code != 255 || len(lines) != 1 || lines[0] != want {
			t.Errorf("ssh -O check with no master: %s; want exit 255 and the line %q", res, want)
		}
		if ms := e.c.MuxMasters(e.bin); len(ms) != 0 {
			t.Errorf("masters after ssh -O check with none: %+v; want none", ms)
		}
	})
	t.Run("master", func(t *testing.T) {
		e.warm(t)
		pid := e.muxMaster(t).Pid
		res := harness.Run(t, sshTimeout, e.c.SSH("-O", "check", shareHost))
		lines := muxStderrLines(res.Stderr)
		if res.Code != 0 || len(res.Stdout) != 0 || len(lines) != 1 {
			t.Fatalf("ssh -O check: %s; want exit 0 and one line on stderr", res)
		}
		m := masterRunningRE.FindStringSubmatch(lines[0])
		if m == nil || m[1] != strconv.Itoa(pid) {
			t.Errorf("ssh -O check said %q; want %q", lines[0], "Master running (pid="+strconv.Itoa(pid)+")")
		}
	})
}

// TestMuxStop: `ssh -O stop` makes the master stop listening: the
// mux socket goes away at once, a session already running finishes
// normally, the master then ends. An ssh while it drains starts a fresh
// master (silently, through the ProxyCommand), and the ssh after that
// rides the fresh master's mux door.
func TestMuxStop(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{})
	before := e.warm(t)
	old := e.muxMaster(t)
	running := harness.Start(t, e.c.SSH(shareHost, "echo started; sleep 2; echo finished"))
	if !shareWaitFor(muxPublishWait, func() bool { return running.Stdout() != "" || running.Exited() }) {
		t.Fatalf("the session to run across ssh -O stop printed nothing in %v", muxPublishWait)
	}
	e.wantServed(t, before, 1, "the session to run across ssh -O stop")

	res := harness.Run(t, sshTimeout, e.c.SSH("-O", "stop", shareHost))
	if lines := muxStderrLines(res.Stderr); res.Code != 0 || len(lines) != 1 || lines[0] != "Stop listening request sent." {
		t.Errorf("ssh -O stop: %s; want exit 0 and %q", res, "Stop listening request sent.")
	}
	if !e.socketGone() {
		t.Errorf("mux socket %s still there after ssh -O stop returned", e.socketPath())
	}
	res = e.ssh(t, "echo", "during")
	if res.Code != 0 || string(res.Stdout) != "during\n" || len(res.Stderr) != 0 {
		t.Errorf("ssh while the stopped master drains: %s; want exit 0, stdout %q, no stderr", res, "during\n")
	}

	if code := running.Wait(t, sshTimeout); code != 0 || running.Stdout() != "started\nfinished\n" || running.Stderr() != "" {
		t.Errorf("session running across ssh -O stop: exit %d, stdout %q, stderr %q; want 0, %q, none",
			code, running.Stdout(), running.Stderr(), "started\nfinished\n")
	}
	if !harness.WaitPidGone(old.Pid, muxPublishWait) {
		t.Errorf("stopped master pid %d still running %v after its last session ended", old.Pid, muxPublishWait)
	}

	e.waitPublished(t)
	if m := e.muxMaster(t); m.Pid == old.Pid || m.MuxSessions != 0 {
		t.Errorf("master after ssh -O stop and a new ssh: pid %d, mux_sessions %d; want a fresh master (not %d) with none",
			m.Pid, m.MuxSessions, old.Pid)
	}
	res = e.ssh(t, "echo", "fresh")
	if res.Code != 0 || string(res.Stdout) != "fresh\n" || len(res.Stderr) != 0 {
		t.Errorf("ssh after -O stop: %s; want exit 0, stdout %q, no stderr", res, "fresh\n")
	}
	e.wantServed(t, 0, 1, "the ssh after the one that started the fresh master")
	if got := e.sshd.Logins(); got != 2 {
		t.Errorf("sshd logins = %d; want 2 (the stopped master's and the fresh one's)", got)
	}
}

// TestMuxExit: `ssh -O exit` ends the master: ssh exits 0, a session
// still running ends at once with 255 (as with ControlMaster), the master
// and its mux socket are gone, and the next ssh works cold (through the
// ProxyCommand, silently) and the one after it warm.
func TestMuxExit(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{})
	before := e.warm(t)
	old := e.muxMaster(t)
	running := harness.Start(t, e.c.SSH(shareHost, "echo started; exec sleep 30"))
	if !shareWaitFor(muxPublishWait, func() bool { return running.Stdout() != "" || running.Exited() }) {
		t.Fatalf("the session to run across ssh -O exit printed nothing in %v", muxPublishWait)
	}
	e.wantServed(t, before, 1, "the session to run across ssh -O exit")

	res := harness.Run(t, sshTimeout, e.c.SSH("-O", "exit", shareHost))
	if lines := muxStderrLines(res.Stderr); res.Code != 0 || len(lines) != 1 || lines[0] != "Exit request sent." {
		t.Errorf("ssh -O exit: %s; want exit 0 and %q", res, "Exit request sent.")
	}
	if code := running.Wait(t, muxPublishWait); code != 255 {
		t.Errorf("session running across ssh -O exit: exit %d; want 255\nstderr:\n%s", code, running.Stderr())
	}
	if !harness.WaitPidGone(old.Pid, muxPublishWait) {
		t.Fatalf("master pid %d still running %v after ssh -O exit", old.Pid, muxPublishWait)
	}
	if !e.socketGone() {
		t.Errorf("mux socket %s still there after its master exited", e.socketPath())
	}
	if ms := e.c.MuxMasters(e.bin); len(ms) != 0 {
		t.Errorf("masters after ssh -O exit: %+v; want none", ms)
	}

	res = e.ssh(t, "echo", "cold")
	if res.Code != 0 || string(res.Stdout) != "cold\n" || len(res.Stderr) != 0 {
		t.Errorf("ssh after -O exit: %s; want exit 0, stdout %q, no stderr", res, "cold\n")
	}
	e.waitPublished(t)
	if got := e.served(t); got != 0 {
		t.Errorf("mux_sessions of the new master = %d; want 0 (the ssh after -O exit went cold)", got)
	}
	e.mustSSH(t, "true")
	e.wantServed(t, 0, 1, "the ssh after the cold one")
}
