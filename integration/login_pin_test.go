package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestHostKeyPinnedAcrossHeal: with StrictHostKeyChecking no, the master
// pins the key of its first login. When the server at the address is
// replaced by another one with another host key (the upstream drops, the
// address now leads elsewhere), the heal is refused and the master ends,
// saying why: no session runs on the impostor. ssh's own behaviour under
// `no` is kept too: the first login records the key ("Permanently
// added"), so the next ssh's fresh master refuses the changed key as
// well; with UserKnownHostsFile /dev/null only the pin protects, and the
// next ssh is a new trust decision, as with plain ssh.
func TestHostKeyPinnedAcrossHeal(t *testing.T) {
	for _, tc := range []struct {
		name     string
		recorded bool // UserKnownHostsFile is a real file
	}{
		{"known_hosts file", true},
		{"/dev/null", false},
	} {
		t.Run(tc.name, func(t *testing.T) { pinnedAcrossHeal(t, tc.recorded) })
	}
}

func pinnedAcrossHeal(t *testing.T, recorded bool) {
	real := harness.StartSSHD(t, harness.SSHDOptions{})
	impostor := harness.StartSSHD(t, harness.SSHDOptions{})
	relay := harness.NewRelay(t, real.Addr(), 0)
	knownHosts := os.DevNull
	if recorded {
		knownHosts = filepath.Join(t.TempDir(), "known_hosts")
	}
	l := newLifecycleClient(t, real, 0, portLine(relay.Port()),
		"StrictHostKeyChecking no", "UserKnownHostsFile "+knownHosts)
	// The impostor accepts the same user key: only the host key differs.
	pub, err := os.ReadFile(l.c.KeyPath + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(impostor.AuthorizedKeysPath, pub, 0o600); err != nil {
		t.Fatal(err)
	}

	res := l.mustSSH(t, "echo", "first")
	name := "[127.0.0.1]:" + portLine(relay.Port())[len("Port "):]
	added := "sshshare: Warning: Permanently added '" + name + "' (ED25519) to the list of known hosts."
	// ssh says so with /dev/null too.
	if !strings.Contains(string(res.Stderr), added) {
		t.Errorf("first ssh stderr %q; want ssh's %q", res.Stderr, added)
	}
	if recorded {
		b, _ := os.ReadFile(knownHosts)
		if want := name + " " + real.HostKeyPub; !strings.Contains(string(b), want) {
			t.Errorf("known_hosts %q; want %q recorded, as ssh records it under StrictHostKeyChecking no", b, want)
		}
	}
	old := l.master(t)

	// Another server takes the address; the upstream drops.
	relay.Retarget(impostor.Addr())
	relay.Cut()
	for deadline := time.Now().Add(20 * time.Second); harness.PidAlive(old.Pid); time.Sleep(lifecyclePoll) {
		if got := impostor.Logins(); got != 0 {
			t.Fatalf("impostor sshd logins = %d after the drop; want 0: the master healed onto another host key\nlogs:\n%s", got, l.logs())
		}
		if time.Now().After(deadline) {
			t.Fatalf("master pid %d still running 20 s after the drop; want it ended\nlogs:\n%s", old.Pid, l.logs())
		}
	}
	if got := impostor.Logins(); got != 0 {
		t.Fatalf("impostor sshd logins = %d after the drop; want 0\nlogs:\n%s", got, l.logs())
	}
	if want := "host key for " + name + " changed since this master logged in"; !strings.Contains(l.logs(), want) {
		t.Errorf("master log lacks %q\nlogs:\n%s", want, l.logs())
	}
	if !recorded {
		return // a fresh master is a new decision, as a new plain ssh is
	}
	res = l.ssh(t, "echo", "second")
	if res.Code != 255 || strings.Contains(string(res.Stdout), "second") ||
		!strings.Contains(string(res.Stderr), "host key for "+name+" has changed") {
		t.Errorf("ssh after the impostor took the address: %s; want exit 255 naming the changed host key, nothing run", res)
	}
	if got := impostor.Logins(); got != 0 {
		t.Errorf("impostor sshd logins = %d; want 0", got)
	}
	if got := real.Logins(); got != 1 {
		t.Errorf("real sshd logins = %d; want 1", got)
	}
}
