package harness

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// tmuxTimeout bounds each tmux client command.
const tmuxTimeout = 10 * time.Second

// Tmux is a private tmux server for tests that need a real terminal: its
// own socket (-S), no config file, run in the foreground (-D) under Start
// so that the processes in its panes are reaped with it.
type Tmux struct {
	Socket string
	Proc   *Proc

	tb  TB
	env []string
}

// StartTmux starts a tmux server with the client's environment (its HOME,
// PATH and Env) and waits until it answers. Panes stay after their command
// exits (remain-on-exit), so a test can read what it printed last.
func StartTmux(tb TB, c *Client) *Tmux {
	tb.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		tb.Fatalf("tmux not installed: apt-get install -y tmux")
	}
	t := &Tmux{Socket: filepath.Join(tb.TempDir(), "tmux.sock"), tb: tb}
	cmd := c.Command("tmux", "-S", t.Socket, "-f", os.DevNull, "-D")
	t.env = cmd.Env
	t.Proc = Start(tb, cmd)
	deadline := time.Now().Add(startTimeout)
	for {
		// The socket file appears before the server listens on it.
		if _, err := os.Stat(t.Socket); err == nil && t.run("set-option", "-wg", "remain-on-exit", "on").Code == 0 {
			return t
		}
		if t.Proc.Exited() || time.Now().After(deadline) {
			tb.Fatalf("tmux server not listening on %s: %v\nstderr:\n%s", t.Socket, t.Proc.Err(), t.Proc.Stderr())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// run runs one tmux client command against the server.
func (t *Tmux) run(args ...string) Result {
	t.tb.Helper()
	cmd := exec.Command("tmux", append([]string{"-S", t.Socket}, args...)...)
	cmd.Env = t.env
	return Run(t.tb, tmuxTimeout, cmd)
}

// Run runs one tmux client command against the server and fails the test
// if it does not exit 0.
func (t *Tmux) Run(args ...string) Result {
	t.tb.Helper()
	res := t.run(args...)
	if res.Code != 0 {
		t.tb.Fatalf("tmux %s: %s", strings.Join(args, " "), res)
	}
	return res
}

// NewSession starts a detached session of the given size running command
// through the shell; the pane stays after the command exits.
func (t *Tmux) NewSession(name string, width, height int, command string) {
	t.tb.Helper()
	t.Run("new-session", "-d", "-s", name, "-x", strconv.Itoa(width), "-y", strconv.Itoa(height), command)
}

// Capture returns the text of the session's pane and its history,
// wrapped lines joined and trailing blank lines dropped. The history
// matters: a resize can push the first lines out of the visible part.
func (t *Tmux) Capture(name string) string {
	t.tb.Helper()
	out := string(t.Run("capture-pane", "-p", "-J", "-S", "-", "-t", name).Stdout)
	return strings.TrimRight(out, "\n") + "\n"
}

// WaitFor polls the pane until it contains s and returns its text, or
// fails the test after timeout.
func (t *Tmux) WaitFor(name, s string, timeout time.Duration) string {
	t.tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		pane := t.Capture(name)
		if strings.Contains(pane, s) {
			return pane
		}
		if time.Now().After(deadline) {
			t.tb.Fatalf("tmux pane %s: no %q after %v; pane:\n%s", name, s, timeout, pane)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Type sends text to the pane as typed keys, then Enter.
func (t *Tmux) Type(name, text string) {
	t.tb.Helper()
	t.Run("send-keys", "-t", name, "-l", text)
	t.Run("send-keys", "-t", name, "Enter")
}
