package integration

import (
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// healWait bounds the wait for a heal and what follows it: detecting the
// dead upstream (ServerAliveInterval 1, CountMax 2), a fresh login, and
// up to 5 s of the server refusing the listener.
const healWait = 20 * time.Second

// TestLifecycleRemoteForwardAcrossHeal: an `ssh -N -R` through sshshare
// across two heals of the master's upstream.
//   - The connections are cut (sshd sees them end, and its session frees
//     the port): the master heals and asks for the listener again; the
//     forward answers again, ssh is still running, status counts it.
//   - The connections are black-holed (sshd's old session keeps the port):
//     the fresh login's request is refused; the ssh exits non-zero, as
//     plain ssh would have with its upstream, and status counts no
//     forward.
func TestLifecycleRemoteForwardAcrossHeal(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	relay := harness.NewRelay(t, sshd.Addr(), 0)
	l := newLifecycleClient(t, sshd, 0, portLine(relay.Port()), "ServerAliveInterval 1", "ServerAliveCountMax 2")
	echo := harness.EchoServer(t)
	port := shareFreePort(t)
	ssh := harness.Start(t, l.c.SSH("-N", "-o", "ExitOnForwardFailure=yes",
		"-R", strconv.Itoa(port)+":"+echo, lifecycleHost))
	if !shareWaitFor(shareForwardWait, func() bool { return echoAnswers(port) }) {
		t.Fatalf("remote port %d does not answer through ssh -R\nstderr:\n%s\nlogs:\n%s", port, ssh.Stderr(), l.logs())
	}

	relay.Cut()
	start := time.Now()
	carried := shareWaitFor(healWait, func() bool {
		m := l.master(t)
		return m.Healed == 1 && m.Forwards == 1 && echoAnswers(port)
	})
	m := l.master(t)
	t.Logf("after the cut: forward answers again %t after %v; status healed %d, forwards %d; ssh running %t; sshd logins %d",
		carried, time.Since(start).Round(time.Millisecond), m.Healed, m.Forwards, !ssh.Exited(), sshd.Logins())
	if !carried || ssh.Exited() {
		t.Fatalf("after a heal the forward does not answer (or ssh ended: %t); want it answering within %v\nstderr:\n%s\nlogs:\n%s",
			ssh.Exited(), healWait, ssh.Stderr(), l.logs())
	}

	relay.BlackHole()
	start = time.Now()
	code := ssh.Wait(t, healWait+10*time.Second)
	m = l.master(t)
	t.Logf("after the black hole: ssh -R exit %d after %v; status healed %d, forwards %d, healthy %t; sshd logins %d",
		code, time.Since(start).Round(time.Millisecond), m.Healed, m.Forwards, m.Healthy, sshd.Logins())
	if code == 0 {
		t.Errorf("ssh -R whose listener the server refused after the heal: exit 0; want non-zero\nstderr:\n%s", ssh.Stderr())
	}
	if m.Healed != 2 || m.Forwards != 0 || !m.Healthy {
		t.Errorf("status after the lost forward: healed %d, forwards %d, healthy %t; want 2, 0, true\nlogs:\n%s",
			m.Healed, m.Forwards, m.Healthy, l.logs())
	}
}

// echoAnswers reports whether a connection to the remote port reaches
// the echo server: a line goes round within a second.
func echoAnswers(port int) bool {
	conn, err := net.DialTimeout("tcp", shareLocal(port), time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Second))
	const line = "ping\n"
	if _, err := io.WriteString(conn, line); err != nil {
		return false
	}
	got := make([]byte, len(line))
	_, err = io.ReadFull(conn, got)
	return err == nil && string(got) == line
}
