package integration

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

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
	if got := e.sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d; want 1", got)
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
