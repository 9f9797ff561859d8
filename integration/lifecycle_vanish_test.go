package integration

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestLifecycleHostVanished: the network to the host goes silent, and
// another server with another host key answers at its address. The ssh
// that was running ends within seconds and says why in one sshshare: line
// on its stderr (plain ssh, and sshshare before, said only "client_loop:
// send disconnect: Broken pipe"); the next ssh names the changed host key
// and runs nothing on the other server.
func TestLifecycleHostVanished(t *testing.T) {
	real := harness.StartSSHD(t, harness.SSHDOptions{})
	other := harness.StartSSHD(t, harness.SSHDOptions{})
	relay := harness.NewRelay(t, real.Addr(), 0)
	l := newLifecycleClient(t, real, 0, portLine(relay.Port()), "ServerAliveInterval 1")
	pub, err := os.ReadFile(l.c.KeyPath + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other.AuthorizedKeysPath, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	name := "[127.0.0.1]:" + strconv.Itoa(relay.Port())

	ssh, stdin, stdout := harness.StartPiped(t, l.c.SSH("-T", lifecycleHost, "cat"))
	defer stdin.Close()
	lines := readLines(stdout)
	send(t, stdin, "one\n")
	if got := nextLine(lines, 10*time.Second); got != "one\n" {
		t.Fatalf("cat echoed %q; want %q\nssh stderr:\n%s\nlogs:\n%s", got, "one\n", ssh.Stderr(), l.logs())
	}

	relay.BlackHole()
	relay.Retarget(other.Addr())
	vanished := time.Now()
	select {
	case <-ssh.Done():
	case <-time.After(20 * time.Second):
		t.Fatalf("ssh still running 20 s after the host vanished\nstderr:\n%s\nlogs:\n%s", ssh.Stderr(), l.logs())
	}
	took := time.Since(vanished)
	var said []string
	for _, line := range strings.Split(ssh.Stderr(), "\n") {
		if line = strings.TrimRight(line, "\r"); strings.HasPrefix(line, "sshshare: ") {
			said = append(said, line)
		}
	}
	t.Logf("running ssh ended %v after the host vanished, exit %d; stderr:\n%s", took.Round(time.Millisecond), ssh.ExitCode(), ssh.Stderr())
	// "Host key for" in ssh's own words, through the OpenSSH engine.
	if len(said) != 1 || !strings.Contains(strings.ToLower(said[0]), "host key for "+name) {
		t.Errorf("running ssh's stderr has sshshare: lines %q; want one saying why it ended (the host key for %s)\nstderr:\n%s\nlogs:\n%s",
			said, name, ssh.Stderr(), l.logs())
	}
	if ssh.ExitCode() != 255 {
		t.Errorf("running ssh exit %d; want 255", ssh.ExitCode())
	}

	res := l.ssh(t, "echo", "second")
	if res.Code != 255 || strings.Contains(string(res.Stdout), "second") ||
		!strings.Contains(strings.ToLower(string(res.Stderr)), "host key for "+name+" has changed") {
		t.Errorf("next ssh: %s; want exit 255 naming the changed host key", res)
	}
	if got := other.Logins(); got != 0 {
		t.Errorf("other sshd logins = %d; want 0", got)
	}
}
