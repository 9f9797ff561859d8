package integration

import (
	"bufio"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestRelayBlackHole checks that Relay.BlackHole looks like a network
// change to stock ssh: the open session hangs without being closed, and a
// new connection works.
func TestRelayBlackHole(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	c := harness.NewClient(t, sshd)
	relay := harness.NewRelay(t, sshd.Addr(), 0)
	c.AddHost("target", "Port "+strconv.Itoa(relay.Port()))

	ssh, stdin, stdout := harness.StartPiped(t, c.SSH("-T", "target", "cat"))
	lines := readLines(stdout)

	send(t, stdin, "one\n")
	if got := nextLine(lines, 10*time.Second); got != "one\n" {
		t.Fatalf("cat echoed %q; want %q\nssh stderr:\n%s", got, "one\n", ssh.Stderr())
	}

	relay.BlackHole()
	send(t, stdin, "two\n")
	if got := nextLine(lines, time.Second); got != "" {
		t.Errorf("after BlackHole cat echoed %q; want nothing", got)
	}
	if ssh.Exited() {
		t.Errorf("ssh exited after BlackHole (%v); want it hung, as on a network change\nstderr:\n%s",
			ssh.Err(), ssh.Stderr())
	}

	res := harness.Run(t, sshTimeout, c.SSH("target", "true"))
	if res.Code != 0 {
		t.Errorf("new ssh after BlackHole: %s; want exit 0", res)
	}
	if got := relay.Conns(); got != 2 {
		t.Errorf("relay.Conns() = %d; want 2", got)
	}
	if got := sshd.Logins(); got != 2 {
		t.Errorf("Logins() = %d; want 2", got)
	}

	ssh.Kill()
	if !ssh.Exited() {
		t.Error("hung ssh still running after Kill")
	}
}

// readLines sends each line read from r on the returned channel, which is
// closed when r fails (the process exited and its pipe closed).
func readLines(r io.Reader) <-chan string {
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		br := bufio.NewReader(r)
		for {
			line, err := br.ReadString('\n')
			if line != "" {
				lines <- line
			}
			if err != nil {
				return
			}
		}
	}()
	return lines
}

// nextLine returns the next line, or "" if none comes within timeout.
func nextLine(lines <-chan string, timeout time.Duration) string {
	select {
	case line := <-lines:
		return line
	case <-time.After(timeout):
		return ""
	}
}

func send(t *testing.T, w io.Writer, s string) {
	t.Helper()
	if _, err := io.WriteString(w, s); err != nil {
		t.Fatalf("write to ssh: %v", err)
	}
}
