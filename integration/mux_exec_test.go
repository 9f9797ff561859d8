package integration

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestMuxExitCodes: `ssh host cmd` through the mux door exits with
// the remote command's status, also when the command closes its stdout
// and stderr early and exits later (regress/multiplex.sh's matrix), and
// with 255 when a signal kills it, as ssh does.
func TestMuxExitCodes(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{})
	e.warm(t)
	type exitCase struct {
		name, cmd string
		want      int
	}
	var cases []exitCase
	for _, code := range []int{0, 1, 4, 5, 44} {
		s := strconv.Itoa(code)
		cases = append(cases,
			exitCase{"exit " + s, "exit " + s, code},
			exitCase{"exit " + s + " after closing stdout and stderr", "sleep 0.2; exec >&- 2>&-; sleep 0.5; exit " + s, code},
		)
	}
	cases = append(cases, exitCase{"kill -9 $$", "kill -9 $$", 255})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.served(t)
			// -n as multiplex.sh: stdin is /dev/null.
			res := e.ssh(t, "-n", tc.cmd)
			if res.Code != tc.want || len(res.Stdout) != 0 {
				t.Errorf("ssh -n %s %q: %s; want exit %d and no stdout", shareHost, tc.cmd, res, tc.want)
			}
			e.wantServed(t, before, 1, tc.cmd)
		})
	}
	if got := e.sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d after %d commands; want 1", got, len(cases)+1)
	}
}

// TestMuxStreams: stdout and stderr arrive apart and complete through
// the mux door, with the exit status, also when both are large at once
// (the exit message must not overtake the output).
func TestMuxStreams(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{})
	e.warm(t)
	const lines = 200000
	for _, tc := range []struct {
		name, cmd        string
		wantOut, wantErr string
		wantCode         int
	}{
		{"small", "echo out; echo err >&2", "out\n", "err\n", 0},
		{"stderr only, exit 3", "echo err >&2; exit 3", "", "err\n", 3},
		{
			"large both at once, exit 9",
			fmt.Sprintf("(yes out | head -n %d) & (yes err | head -n %d >&2); wait; exit 9", lines, lines),
			strings.Repeat("out\n", lines), strings.Repeat("err\n", lines), 9,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.served(t)
			res := e.ssh(t, tc.cmd)
			if res.Code != tc.wantCode {
				t.Errorf("exit %d; want %d", res.Code, tc.wantCode)
			}
			if got := string(res.Stdout); got != tc.wantOut {
				t.Errorf("stdout: got %d bytes %.40q; want %d bytes %.40q", len(got), got, len(tc.wantOut), tc.wantOut)
			}
			if got := string(res.Stderr); got != tc.wantErr {
				t.Errorf("stderr: got %d bytes %.40q; want %d bytes %.40q", len(got), got, len(tc.wantErr), tc.wantErr)
			}
			e.wantServed(t, before, 1, tc.name)
		})
	}
}

// TestMuxStdinEOF: the end of ssh's stdin reaches the remote command
// through the mux door: `printf abc | ssh host 'cat; echo done'`.
func TestMuxStdinEOF(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{})
	before := e.warm(t)
	cmd := e.c.SSH(shareHost, "cat; echo done")
	cmd.Stdin = strings.NewReader("abc")
	res := harness.Run(t, sshTimeout, cmd)
	if res.Code != 0 || string(res.Stdout) != "abcdone\n" || len(res.Stderr) != 0 {
		t.Errorf("printf abc | ssh %s 'cat; echo done': %s; want exit 0, stdout %q, no stderr", shareHost, res, "abcdone\n")
	}
	e.wantServed(t, before, 1, "cat; echo done")
}

// muxSubstBound bounds `x=$(ssh host cmd)` for a cmd that ends at once but
// leaves a 30 s background child holding none of its descriptors.
const muxSubstBound = 10 * time.Second

// TestMuxSubst: `x=$(ssh host cmd)` returns when cmd
// ends, not when a background child it left (with no descriptor of the
// session) does: the door closes stdout once the session is over.
func TestMuxSubst(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{})
	before := e.warm(t)
	script := `x=$(ssh -F "$1" ` + shareHost + ` 'echo hi; sleep 30 >/dev/null 2>&1 &'); echo "got=$x rc=$?"`
	res := harness.Run(t, sshTimeout+time.Minute, e.c.Command("sh", "-c", script, "sh", e.c.ConfigPath))
	if res.Code != 0 || string(res.Stdout) != "got=hi rc=0\n" || len(res.Stderr) != 0 {
		t.Errorf("x=$(ssh %s ...): %s; want stdout %q, no stderr", shareHost, res, "got=hi rc=0\n")
	}
	if res.Elapsed > muxSubstBound {
		t.Errorf("x=$(ssh %s 'echo hi; sleep 30 >/dev/null 2>&1 &') took %v; want under %v",
			shareHost, res.Elapsed.Round(time.Millisecond), muxSubstBound)
	}
	t.Logf("x=$(ssh ...) returned in %v", res.Elapsed.Round(time.Millisecond))
	e.wantServed(t, before, 1, "x=$(ssh ...)")
}

// TestMuxMasterLoss: an ssh whose master dies in the middle of a session
// served by the mux door exits 255 at once, as ssh does when its
// connection drops, and the next ssh starts a fresh master.
func TestMuxMasterLoss(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{})
	before := e.warm(t)
	ssh := harness.Start(t, e.c.SSH(shareHost, "echo started; exec sleep 10"))
	if !shareWaitFor(muxPublishWait, func() bool { return ssh.Stdout() != "" || ssh.Exited() }) || ssh.Stdout() != "started\n" {
		t.Fatalf("ssh printed %q; want %q\nstderr:\n%s", ssh.Stdout(), "started\n", ssh.Stderr())
	}
	e.wantServed(t, before, 1, "the session whose master is killed")
	lost := e.muxMaster(t)
	shareKillMaster(t, lost.Pid)
	start := time.Now()
	if code := ssh.Wait(t, 5*time.Second); code != 255 {
		t.Errorf("ssh after its master was killed: exit %d; want 255\nstderr:\n%s", code, ssh.Stderr())
	}
	t.Logf("ssh exited %v after the master was killed", time.Since(start).Round(time.Millisecond))
	if !harness.WaitPidGone(lost.Pid, muxPublishWait) {
		t.Fatalf("master pid %d still running %v after SIGKILL", lost.Pid, muxPublishWait)
	}

	e.mustSSH(t, "true")
	e.waitPublished(t)
	if got := e.muxMaster(t).Pid; got == lost.Pid {
		t.Errorf("master pid after loss = %d; want a new master", got)
	}
}

// TestMuxReaderGone: `ssh host yes | head -n 1` ends as soon as head has
// its line: when the reader of the passed stdout goes away, the door
// closes the session instead of leaving it to run unread.
func TestMuxReaderGone(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{})
	before := e.warm(t)
	script := `ssh -F "$1" ` + shareHost + ` yes | head -n 1`
	res := harness.Run(t, sshTimeout, e.c.Command("sh", "-c", script, "sh", e.c.ConfigPath))
	if res.Code != 0 || string(res.Stdout) != "y\n" {
		t.Errorf("ssh %s yes | head -n 1: %s; want exit 0 and %q", shareHost, res, "y\n")
	}
	if res.Elapsed > muxSubstBound {
		t.Errorf("ssh %s yes | head -n 1 took %v; want under %v", shareHost, res.Elapsed.Round(time.Millisecond), muxSubstBound)
	}
	t.Logf("ssh yes | head -n 1 returned in %v", res.Elapsed.Round(time.Millisecond))
	e.wantServed(t, before, 1, "ssh yes")
	var channels int
	if !shareWaitFor(muxPublishWait, func() bool { channels = e.master(t).Channels; return channels == 0 }) {
		t.Errorf("master channels = %d %v after ssh yes | head -n 1; want 0", channels, muxPublishWait)
	}
}
