package integration

import (
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// tunnelRefusedWithin bounds how long a refused target may take to fail.
const tunnelRefusedWithin = 5 * time.Second

// TestTunnelRefusedTarget: ssh to a target the bastion cannot reach (a
// port nothing listens on) exits 255 within 5 s with an `sshshare:` line
// naming the target, while a tunnel session already running through the
// same master carries on and ends normally; the master stays and serves
// the next ssh without a second bastion login.
func TestTunnelRefusedTarget(t *testing.T) {
	e := newTunnelEnv(t)
	closed := tunnelClosedPort(t)
	e.addTunnel("nowhere", tunnelBastion, closed)
	nowhere := "127.0.0.1:" + strconv.Itoa(closed)

	// The live session waits for a line on stdin, so it is still open
	// while the refused one runs, whatever the timing.
	live := e.c.SSH(tunnelTarget, "echo started >&2; read line; echo alive")
	feed, err := live.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := harness.Start(t, live)
	tunnelWaitStderr(t, p, "started")
	before := e.waitTunnels(t, tunnelBastion, 1, e.targetAddr())

	res := harness.Run(t, sshTimeout, e.c.SSH("nowhere", "true"))
	t.Logf("ssh to a refused target: exit %d after %v", res.Code, res.Elapsed.Round(time.Millisecond))
	if res.Code != 255 {
		t.Errorf("ssh nowhere true: exit %d; want 255\n%s", res.Code, res)
	}
	if res.Elapsed > tunnelRefusedWithin {
		t.Errorf("ssh nowhere true took %v; want <= %v", res.Elapsed, tunnelRefusedWithin)
	}
	lines := tunnelSSHShareLines(res.Stderr)
	if len(lines) != 1 || !strings.Contains(lines[0], nowhere) {
		t.Errorf("sshshare lines on stderr = %q; want one naming %s\nstderr:\n%s", lines, nowhere, res.Stderr)
	}

	if _, err := io.WriteString(feed, "go on\n"); err != nil {
		t.Fatalf("write to the live session: %v", err)
	}
	feed.Close()
	if code := p.Wait(t, sshTimeout); code != 0 || p.Stdout() != "alive\n" {
		t.Errorf("live session beside the refused one: exit %d, stdout %q; want 0, \"alive\\n\"\nstderr:\n%s\nmaster logs:\n%s",
			code, p.Stdout(), p.Stderr(), e.c.MasterLogs())
	}

	e.mustSSH(t, tunnelTarget, "true")
	if after := e.master(t, tunnelBastion); after.Pid != before.Pid {
		t.Errorf("master pid = %d after the refusal; want %d (the same master)", after.Pid, before.Pid)
	}
	if got := e.bastion.Logins(); got != 1 {
		t.Errorf("bastion sshd logins = %d; want 1", got)
	}
}

// TestTunnelRefusedCold: the very first ssh through the bastion goes to an
// unreachable target: it fails the same way within 5 s, and the master it
// started serves the next ssh to a good target with no second login.
func TestTunnelRefusedCold(t *testing.T) {
	e := newTunnelEnv(t)
	closed := tunnelClosedPort(t)
	e.addTunnel("nowhere", tunnelBastion, closed)
	nowhere := "127.0.0.1:" + strconv.Itoa(closed)

	res := harness.Run(t, sshTimeout, e.c.SSH("nowhere", "true"))
	t.Logf("cold ssh to a refused target: exit %d after %v", res.Code, res.Elapsed.Round(time.Millisecond))
	if res.Code != 255 || res.Elapsed > tunnelRefusedWithin {
		t.Errorf("ssh nowhere true: exit %d after %v; want 255 within %v\n%s", res.Code, res.Elapsed, tunnelRefusedWithin, res)
	}
	lines := tunnelSSHShareLines(res.Stderr)
	if len(lines) != 1 || !strings.Contains(lines[0], nowhere) {
		t.Errorf("sshshare lines on stderr = %q; want one naming %s\nstderr:\n%s", lines, nowhere, res.Stderr)
	}

	res = e.mustSSH(t, tunnelTarget, "echo", "ok")
	if string(res.Stdout) != "ok\n" {
		t.Errorf("ssh target echo ok: stdout %q; want \"ok\\n\"", res.Stdout)
	}
	if got := e.bastion.Logins(); got != 1 {
		t.Errorf("bastion sshd logins = %d; want 1", got)
	}
}
