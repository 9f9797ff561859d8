package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestHostKeyPinHealAfterKnownHostsGrew: the server has an ed25519 and an
// RSA host key; known_hosts has only the RSA one, so the first login
// pins the RSA key. The user then re-accepts the host with plain ssh and
// known_hosts gains its ed25519 key, on the first line. After the
// upstream is cut, the heal asks for the pinned key first and logs in to
// the same server: the master lives on, with no false "changed" alarm.
func TestHostKeyPinHealAfterKnownHostsGrew(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{HostKeyTypes: []string{"rsa"}})
	relay := harness.NewRelay(t, sshd.Addr(), 0)
	knownHosts := filepath.Join(t.TempDir(), "known_hosts")
	name := "[127.0.0.1]:" + portLine(relay.Port())[len("Port "):]
	rsaLine := name + " " + sshd.HostKeys["rsa"] + "\n"
	if err := os.WriteFile(knownHosts, []byte(rsaLine), 0o600); err != nil {
		t.Fatal(err)
	}
	l := newLifecycleClient(t, sshd, 0, portLine(relay.Port()), "UserKnownHostsFile "+knownHosts, "StrictHostKeyChecking yes")
	l.mustSSH(t, "echo", "first")
	old := l.master(t)

	if err := os.WriteFile(knownHosts, []byte(name+" "+sshd.HostKeyPub+"\n"+rsaLine), 0o600); err != nil {
		t.Fatal(err)
	}
	relay.Cut()
	healed := shareWaitFor(healWait, func() bool {
		ms := l.masters(t)
		return !harness.PidAlive(old.Pid) || len(ms) == 1 && ms[0].Healed == 1
	})
	if !harness.PidAlive(old.Pid) {
		t.Fatalf("after the cut: master pid %d ended; want it healed onto the same server\nlogs:\n%s", old.Pid, l.logs())
	}
	if !healed {
		t.Fatalf("after the cut: master pid %d not healed within %v\nlogs:\n%s", old.Pid, healWait, l.logs())
	}
	if bad := "changed since this master logged in"; strings.Contains(l.logs(), bad) {
		t.Errorf("master log has %q for the same server\nlogs:\n%s", bad, l.logs())
	}
	res := l.mustSSH(t, "echo", "second")
	if m := l.master(t); m.Pid != old.Pid || m.Healed != 1 || !strings.Contains(string(res.Stdout), "second") {
		t.Errorf("after the heal: master pid %d (was %d), healed %d, stdout %q; want the same master, healed once, the command run",
			m.Pid, old.Pid, m.Healed, res.Stdout)
	}
	if got := sshd.Logins(); got != 2 {
		t.Errorf("sshd logins = %d; want 2 (the first login and the heal)", got)
	}
}
