package integration

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestShareExecExitCodes: `ssh host cmd` through sshshare exits with the
// remote command's status, and every command rides on the one login.
func TestShareExecExitCodes(t *testing.T) {
	e := newShareEnv(t, harness.SSHDOptions{})
	for _, tc := range []struct {
		cmd  string
		want int
	}{
		{"true", 0},
		{"false", 1},
		{"exit 44", 44},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			if res := e.ssh(t, tc.cmd); res.Code != tc.want {
				t.Errorf("ssh %s %q: %s; want exit %d", shareHost, tc.cmd, res, tc.want)
			}
		})
	}
	if got := e.sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d after 3 commands; want 1", got)
	}
}

// TestShareExecStreams: stdout and stderr arrive separately and complete,
// also when both are large at once (stderr is always drained).
func TestShareExecStreams(t *testing.T) {
	e := newShareEnv(t, harness.SSHDOptions{})
	const lines = 200000
	for _, tc := range []struct {
		name, cmd        string
		wantOut, wantErr string
	}{
		{"small", "echo out; echo err >&2", "out\n", "err\n"},
		{
			"large both at once",
			fmt.Sprintf("(yes out | head -n %d) & (yes err | head -n %d >&2); wait", lines, lines),
			strings.Repeat("out\n", lines), strings.Repeat("err\n", lines),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.mustSSH(t, tc.cmd)
			if got := string(res.Stdout); got != tc.wantOut {
				t.Errorf("stdout: got %d bytes %.40q; want %d bytes %.40q", len(got), got, len(tc.wantOut), tc.wantOut)
			}
			if got := string(res.Stderr); got != tc.wantErr {
				t.Errorf("stderr: got %d bytes %.40q; want %d bytes %.40q", len(got), got, len(tc.wantErr), tc.wantErr)
			}
		})
	}
}

// TestShareExecStdinStreamed: stdin reaches the remote command as it is
// written, not only at EOF, and all of it arrives.
func TestShareExecStdinStreamed(t *testing.T) {
	e := newShareEnv(t, harness.SSHDOptions{})
	t.Run("cat echoes each line before the next is sent", func(t *testing.T) {
		ssh, stdin, stdout := harness.StartPiped(t, e.c.SSH(shareHost, "cat"))
		lines := readLines(stdout)
		for i := range 5 {
			line := "line " + strconv.Itoa(i) + "\n"
			send(t, stdin, line)
			if got := nextLine(lines, sshTimeout); got != line {
				t.Fatalf("cat echoed %q; want %q\nstderr:\n%s", got, line, ssh.Stderr())
			}
		}
		stdin.Close()
		if code := ssh.Wait(t, sshTimeout); code != 0 {
			t.Errorf("ssh %s cat: exit %d after stdin closed; want 0\nstderr:\n%s", shareHost, code, ssh.Stderr())
		}
	})
	t.Run("wc -c counts all of stdin", func(t *testing.T) {
		const n = 5 << 20
		cmd := e.c.SSH(shareHost, "wc -c")
		cmd.Stdin = bytes.NewReader(bytes.Repeat([]byte("0123456789abcdef"), n/16))
		res := harness.Run(t, sshTimeout, cmd)
		if got := strings.TrimSpace(string(res.Stdout)); res.Code != 0 || got != strconv.Itoa(n) {
			t.Errorf("ssh %s wc -c: %s; want exit 0, stdout %d", shareHost, res, n)
		}
	})
}

// TestShareExecMasterLoss: an ssh whose master dies mid-command exits 255
// at once, as ssh does when its connection drops, and the next ssh starts
// a fresh master.
func TestShareExecMasterLoss(t *testing.T) {
	e := newShareEnv(t, harness.SSHDOptions{})
	cmd := e.c.SSH(shareHost, "echo started; exec sleep 10")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	ssh := harness.Start(t, cmd)
	if got := nextLine(readLines(stdout), sshTimeout); got != "started\n" {
		t.Fatalf("ssh printed %q; want %q\nstderr:\n%s", got, "started\n", ssh.Stderr())
	}
	lost := e.master(t)
	shareKillMaster(t, lost.Pid)
	start := time.Now()
	if code := ssh.Wait(t, 5*time.Second); code != 255 {
		t.Errorf("ssh after its master was killed: exit %d; want 255\nstderr:\n%s", code, ssh.Stderr())
	}
	t.Logf("ssh exited %v after the master was killed", time.Since(start).Round(time.Millisecond))

	e.mustSSH(t, "true")
	if got := e.master(t).Pid; got == lost.Pid {
		t.Errorf("master pid after loss = %d; want a new master", got)
	}
	if got := e.sshd.Logins(); got != 2 {
		t.Errorf("sshd logins = %d; want 2 (the lost master's and the new one's)", got)
	}
}
