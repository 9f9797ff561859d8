package integration

import (
	"strings"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestMuxSplit: while a terminal session of the mux door is open, the
// master logs in once more without asking anything (key login) and
// sessions without a terminal go to that connection, so that a download
// does not queue in front of the terminal's echo (share/terminal.go):
// sshd records two logins, status shows two upstream connections, and the
// download through the door is byte-exact while the terminal session
// works on.
func TestMuxSplit(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{})
	probe := e.sshd.Logins()
	before := e.warm(t)
	tty := e.c.SSH("-tt", shareHost, "echo TTY-UP; exec sleep 60")
	stdin, err := tty.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	term := harness.Start(t, tty)
	waitForUpstreams(t, e, 2)
	down := e.mustSSH(t, "head -c 3000000 /dev/zero")
	if len(down.Stdout) != 3000000 || strings.Trim(string(down.Stdout), "\x00") != "" {
		t.Errorf("download through the door: %d bytes; want 3000000 zero bytes", len(down.Stdout))
	}
	e.wantServed(t, before, 2, "the terminal session and the download")
	if !strings.Contains(string(term.Stdout()), "TTY-UP") {
		t.Errorf("terminal session: stdout %q; want TTY-UP", term.Stdout())
	}
	if got := e.sshd.Logins() - probe; got != 2 {
		t.Errorf("sshd logins = %d; want 2 (the master's, and one for sessions without a terminal)", got)
	}
}

// waitForUpstreams waits until the only master has n upstream
// connections.
func waitForUpstreams(t *testing.T, e *muxEnv, n int) {
	t.Helper()
	if !shareWaitFor(sshTimeout, func() bool { return e.master(t).Upstreams == n }) {
		t.Fatalf("master upstreams = %d after %v; want %d", e.master(t).Upstreams, sshTimeout, n)
	}
}
