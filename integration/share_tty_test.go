package integration

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// requirePTY skips the test when this sshd cannot give the user a
// terminal at all, for plain ssh either: an sshd not run as root must chown
// the pty to the tty group, which fails where /dev/pts is mounted without
// gid=5 (some containers). There is then nothing to compare sshshare with.
func requirePTY(t *testing.T, e *shareEnv) {
	t.Helper()
	e.c.AddHost("pty-probe")
	res := harness.Run(t, sshTimeout, e.c.SSH("-tt", "pty-probe", "tty"))
	if res.Code == 0 && strings.HasPrefix(string(res.Stdout), "/dev/") {
		return
	}
	if os.Geteuid() == 0 {
		t.Fatalf("plain ssh -tt gets no terminal from sshd run as root: %s", res)
	}
	t.Skipf("sshd, not run as root, cannot allocate a pty here, for plain ssh either: %s", res)
}

// shareTTYWait bounds each wait for the terminal to show something.
const shareTTYWait = 15 * time.Second

// promptRE matches a shell prompt at the end of the pane: "...$ " or
// "...# " (tmux drops the trailing blank).
var promptRE = regexp.MustCompile(`[$#] ?$`)

// TestShareTTY: an interactive ssh through sshshare, in a real terminal
// (tmux): the remote shell prompts, sees the terminal's size and its
// changes, gets ^C as SIGINT, and its exit status is ssh's.
func TestShareTTY(t *testing.T) {
	e := newShareEnv(t, harness.SSHDOptions{})
	requirePTY(t, e)
	probeLogins := e.sshd.Logins()
	tm := harness.StartTmux(t, e.c)
	const pane = "s"
	tm.NewSession(pane, 80, 24, "ssh -F "+e.c.ConfigPath+" "+shareHost+"; echo EXIT=$?")
	sharePrompt(t, tm, pane)

	tm.Type(pane, `echo "SIZE=$(stty size)"`)
	tm.WaitFor(pane, "SIZE=24 80", shareTTYWait)
	tm.Run("resize-window", "-t", pane, "-x", "100", "-y", "30")
	tm.Type(pane, `echo "RESIZED=$(stty size)"`)
	tm.WaitFor(pane, "RESIZED=30 100", shareTTYWait)

	// The echo runs in the foreground job, so once it shows, ^C goes to
	// that job: sleep dies of SIGINT and $? is 128+2.
	tm.Type(pane, `bash -c 'echo SLEEPING-$((40+2)); exec sleep 100'`)
	tm.WaitFor(pane, "SLEEPING-42", shareTTYWait)
	start := time.Now()
	tm.Run("send-keys", "-t", pane, "C-c")
	tm.Type(pane, `echo "STATUS=$?"`)
	tm.WaitFor(pane, "STATUS=130", shareTTYWait)
	t.Logf("^C ended sleep 100 in %v", time.Since(start).Round(time.Millisecond))

	tm.Type(pane, "exit 3")
	tm.WaitFor(pane, "EXIT=3", shareTTYWait)
	if got := e.sshd.Logins() - probeLogins; got != 1 {
		t.Errorf("sshd logins through sshshare = %d; want 1", got)
	}
}

// sharePrompt waits until the pane's last line is a shell prompt.
func sharePrompt(t *testing.T, tm *harness.Tmux, pane string) {
	t.Helper()
	var text string
	ok := shareWaitFor(shareTTYWait, func() bool {
		text = tm.Capture(pane)
		lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
		return promptRE.MatchString(lines[len(lines)-1])
	})
	if !ok {
		t.Fatalf("no shell prompt after %v; pane:\n%s", shareTTYWait, text)
	}
}
