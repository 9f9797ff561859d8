//go:build unix

package integration

import (
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestShareX11PerClient: two `ssh -Y` on one master forward two X
// displays (two fake X servers). An X client run in client 1's remote
// session, while client 2 is connected, reaches client 1's display, and
// client 2's reaches client 2's (issue 17, item 3: X11 channels went to
// the most recent client, whose ssh refused the other's cookie).
func TestShareX11PerClient(t *testing.T) {
	for _, cmd := range []string{"xauth", "xdpyinfo"} {
		if _, err := exec.LookPath(cmd); err != nil {
			t.Skipf("%s not installed (x11-apps, xauth): %v", cmd, err)
		}
	}
	e := newShareEnv(t, harness.SSHDOptions{Extra: "X11Forwarding yes"})
	// X11 per client is the Go engine's; the OpenSSH engine refuses it by
	// name (docs/config.md).
	e.c.Env = append(e.c.Env, harness.EngineEnv+"=go")
	display := map[string]string{}
	hits := map[string]<-chan struct{}{}
	for _, name := range []string{"1", "2"} {
		display[name], hits[name] = x11FakeServer(t)
	}
	type waiting struct {
		ssh   *harness.Proc
		stdin io.WriteCloser
		lines <-chan string
	}
	start := func(name string) waiting {
		cmd := e.c.SSH("-Y", shareHost, "echo ready; read line; xdpyinfo >/dev/null 2>&1; echo done")
		cmd.Env = append(cmd.Env, "DISPLAY="+display[name])
		ssh, stdin, stdout := harness.StartPiped(t, cmd)
		w := waiting{ssh, stdin, readLines(stdout)}
		if got := nextLine(w.lines, sshTimeout); got != "ready\n" {
			t.Fatalf("client %s said %q; want ready\nstderr:\n%s", name, got, ssh.Stderr())
		}
		return w
	}
	run := func(name string, w waiting) {
		send(t, w.stdin, "go\n")
		if got := nextLine(w.lines, sshTimeout); got != "done\n" {
			t.Fatalf("client %s said %q; want done\nstderr:\n%s", name, got, w.ssh.Stderr())
		}
	}
	got := func(name string) bool {
		select {
		case <-hits[name]:
			return true
		case <-time.After(time.Second):
			return false
		}
	}
	c1, c2 := start("1"), start("2")
	run("1", c1)
	got1, got2 := got("1"), got("2")
	run("2", c2)
	got2after := got("2")
	for _, w := range []waiting{c1, c2} {
		w.stdin.Close()
		w.ssh.Wait(t, sshTimeout)
	}
	t.Logf("client 1's X client reached display 1: %v, display 2: %v; client 2's reached display 2: %v", got1, got2, got2after)
	if !got1 || got2 {
		t.Errorf("client 1's X client reached display 1: %v, display 2: %v; want 1 only\nstderr 1:\n%s\nstderr 2:\n%s",
			got1, got2, c1.ssh.Stderr(), c2.ssh.Stderr())
	}
	if !got2after {
		t.Errorf("client 2's X client did not reach display 2\nstderr 2:\n%s", c2.ssh.Stderr())
	}
}

// x11FakeServer listens as X display 127.0.0.1:N for a free N and
// returns the display and a channel that hears of each connection, which
// it closes at once.
func x11FakeServer(t *testing.T) (string, <-chan struct{}) {
	t.Helper()
	for n := 70; n < 100; n++ {
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(6000+n))
		if err != nil {
			continue
		}
		t.Cleanup(func() { ln.Close() })
		hits := make(chan struct{}, 16)
		go func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				conn.Close()
				select {
				case hits <- struct{}{}:
				default:
				}
			}
		}()
		return fmt.Sprintf("127.0.0.1:%d", n), hits
	}
	t.Fatal("no free X display port in 6070-6099")
	return "", nil
}
