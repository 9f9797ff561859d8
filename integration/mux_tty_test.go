package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// muxSharedClosed is what stock ssh prints when its master closes a tty
// session it multiplexed (the client's host after HostName).
const muxSharedClosed = "Shared connection to 127.0.0.1 closed."

// TestMuxTTY: interactive ssh sessions through the mux door, in real
// terminals (tmux): the remote shell sees the terminal's size and its
// changes, ^C interrupts a remote sleep and the shell prompts again on
// the same connection, and ~. closes only its own session (exit 255)
// while a second session on the same master keeps working; ssh says
// "Shared connection ... closed." as with ControlMaster.
func TestMuxTTY(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{})
	requirePTY(t, e.shareEnv)
	probeLogins := e.sshd.Logins()
	before := e.warm(t)
	tm := harness.StartTmux(t, e.c)
	session := "ssh -F " + e.c.ConfigPath + " " + shareHost + "; echo EXIT=$?"
	const a, b = "a", "b"
	tm.NewSession(a, 80, 24, session)
	sharePrompt(t, tm, a)
	e.wantServed(t, before, 1, "ssh in pane a")

	tm.Type(a, `echo "SIZE=$(stty size)"`)
	tm.WaitFor(a, "SIZE=24 80", shareTTYWait)
	tm.Run("resize-window", "-t", a, "-x", "100", "-y", "30")
	tm.Type(a, `echo "RESIZED=$(stty size)"`)
	tm.WaitFor(a, "RESIZED=30 100", shareTTYWait)

	// The echo runs in the foreground job, so once it shows, ^C goes to
	// that job: sleep dies of SIGINT and $? is 128+2.
	tm.Type(a, `bash -c 'echo SLEEPING-$((40+2)); exec sleep 100'`)
	tm.WaitFor(a, "SLEEPING-42", shareTTYWait)
	start := time.Now()
	tm.Run("send-keys", "-t", a, "C-c")
	tm.Type(a, `echo "STATUS=$?"`)
	pane := tm.WaitFor(a, "STATUS=130", shareTTYWait)
	t.Logf("^C ended sleep 100 in %v", time.Since(start).Round(time.Millisecond))
	sharePrompt(t, tm, a)
	if strings.Contains(pane, "EXIT=") {
		t.Fatalf("ssh in pane a exited on ^C; want the remote shell to go on; pane:\n%s", pane)
	}

	tm.NewSession(b, 80, 24, session)
	sharePrompt(t, tm, b)
	e.wantServed(t, before, 2, "ssh in panes a and b")

	// The escape is read after a newline only.
	tm.Run("send-keys", "-t", a, "Enter")
	tm.Run("send-keys", "-t", a, "-l", "~.")
	pane = tm.WaitFor(a, "EXIT=", shareTTYWait)
	if !strings.Contains(pane, "EXIT=255") {
		t.Errorf("ssh after ~.: want EXIT=255; pane a:\n%s", pane)
	}
	if !strings.Contains(pane, muxSharedClosed) {
		t.Errorf("ssh after ~.: no %q; pane a:\n%s", muxSharedClosed, pane)
	}

	tm.Type(b, `echo "STILL-$((1+1))"`)
	tm.WaitFor(b, "STILL-2", shareTTYWait)
	tm.Type(b, "exit 3")
	pane = tm.WaitFor(b, "EXIT=", shareTTYWait)
	if !strings.Contains(pane, "EXIT=3") || !strings.Contains(pane, muxSharedClosed) {
		t.Errorf("ssh in pane b after exit 3: want EXIT=3 after %q; pane b:\n%s", muxSharedClosed, pane)
	}
	// The master's login, and the one it makes, without asking, for
	// sessions without a terminal (TestMuxSplit).
	if got := e.sshd.Logins() - probeLogins; got != 2 {
		t.Errorf("sshd logins through sshshare = %d; want 2", got)
	}
}

// TestMuxTTYInput: once an ssh served by the mux door has exited, the
// terminal is the local shell's again: the master leaves no read pending
// on it that would steal the next line typed, and no O_NONBLOCK on it that
// would make the shell's next read fail. Both for a tty session (-t) and
// for a session without one whose stdin is the terminal (-T).
func TestMuxTTYInput(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{})
	requirePTY(t, e.shareEnv)
	before := e.warm(t)
	tm := harness.StartTmux(t, e.c)
	for i, flag := range []string{"-t", "-T"} {
		pane := "p" + strconv.Itoa(i)
		tm.NewSession(pane, 80, 24, "ssh "+flag+" -F "+e.c.ConfigPath+" "+shareHost+
			` 'echo IN-SESSION'; echo "EXIT=$?"; read -r line; echo "READ=[$line]"; exec sleep 60`)
		tm.WaitFor(pane, "EXIT=0", shareTTYWait)
		e.wantServed(t, before, i+1, "ssh "+flag)
		tm.Type(pane, "typed-after")
		// The pane's shell stays after its echo: tmux can mark a pane
		// dead before it has shown what its process wrote last (a CI run
		// lost "READ=[typed-after]" so, with the pane dead the same
		// second).
		text := waitOrDiagnose(t, tm, pane, "READ=", shareTTYWait)
		if !strings.Contains(text, "READ=[typed-after]") {
			t.Errorf("ssh %s: the local shell read something else than the line typed after ssh exited; want READ=[typed-after]; pane:\n%s", flag, text)
		}
	}
}

// TestMuxForcedTTY: `ssh -tt` with pipes, not a terminal, for stdin and
// stdout gets a remote tty through the mux door all the same (the master
// cannot read modes or a size from a pipe), and ends as ssh does.
func TestMuxForcedTTY(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{})
	requirePTY(t, e.shareEnv)
	before := e.warm(t)
	res := e.ssh(t, "-tt", `[ -t 0 ] && echo on-a-tty; exit 3`)
	const wantOut, wantErr = "on-a-tty\r\n", muxSharedClosed + "\r\n"
	if res.Code != 3 || string(res.Stdout) != wantOut || string(res.Stderr) != wantErr {
		t.Errorf("ssh -tt %s with pipes: %s; want exit 3, stdout %q, stderr %q", shareHost, res, wantOut, wantErr)
	}
	e.wantServed(t, before, 1, "ssh -tt")
}

// waitOrDiagnose is tm.WaitFor, but a pane that never shows s fails the
// test with who holds the pane's terminal open and its modes: a read
// left pending on it, or modes left raw, is what the test looks for.
func waitOrDiagnose(t *testing.T, tm *harness.Tmux, pane, s string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		text := tm.Capture(pane)
		if strings.Contains(text, s) {
			return text
		}
		if time.Now().After(deadline) {
			tty := strings.TrimSpace(string(tm.Run("display", "-p", "-t", pane, "#{pane_tty}").Stdout))
			t.Fatalf("tmux pane %s: no %q after %v; pane:\n%s\nprocesses with %s open:\n%s\nits modes: %s",
				pane, s, timeout, text, tty, ttyHolders(tty), ttyModes(tty))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ttyHolders lists the processes with tty open: pid, command, descriptor
// and its flags (/proc, Linux).
func ttyHolders(tty string) string {
	var b strings.Builder
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		if target, err := os.Readlink(fd); err != nil || target != tty {
			continue
		}
		parts := strings.Split(fd, "/")
		comm, _ := os.ReadFile("/proc/" + parts[2] + "/comm")
		info, _ := os.ReadFile("/proc/" + parts[2] + "/fdinfo/" + parts[4])
		flags := ""
		for _, line := range strings.Split(string(info), "\n") {
			if strings.HasPrefix(line, "flags:") {
				flags = line
			}
		}
		fmt.Fprintf(&b, "  pid %s (%s) fd %s %s\n", parts[2], strings.TrimSpace(string(comm)), parts[4], flags)
	}
	return b.String()
}

// ttyModes is `stty -a` of tty.
func ttyModes(tty string) string {
	f, err := os.Open(tty)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	cmd := exec.Command("stty", "-a")
	cmd.Stdin = f
	out, err := cmd.CombinedOutput()
	if err != nil {
		return err.Error()
	}
	return string(out)
}
