package integration

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestLifecycleNetworkChange: when every open connection to the host goes
// silent (the relay black-holes them, as a network change or a laptop
// sleep does), the next `ssh h true` succeeds within 8 s; afterwards one
// healthy master is listed: the same one logged in again, or a fresh one,
// in which case the master with the dead upstream exits. Ten trials per
// case, each black-holing the master the previous one started; the cases
// differ in when the next ssh comes: at once, or after a pause longer
// than the master's probe threshold (1 s of upstream silence).
func TestLifecycleNetworkChange(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pause time.Duration // between the black hole and the next ssh
	}{
		{"next ssh at once", 0},
		{"next ssh 2s later", 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) { networkChangeTrials(t, tc.pause) })
	}
}

// networkChangeTrials runs the network change trials with pause between
// the black hole and the next ssh.
func networkChangeTrials(t *testing.T, pause time.Duration) {
	t.Helper()
	const (
		trials = 10
		within = 8 * time.Second
	)
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	relay := harness.NewRelay(t, sshd.Addr(), 0)
	l := newLifecycleClient(t, sshd, 0, portLine(relay.Port()))
	var times []time.Duration
	healed := 0
	for trial := range trials {
		l.mustSSH(t, "true") // warm: the master is up and its upstream answers
		old := l.master(t)
		relay.BlackHole()
		time.Sleep(pause) // the scenario: when the user types the next ssh
		res, hung := l.sshWithin(t, 30*time.Second, "true")
		times = append(times, res.Elapsed)
		if hung || res.Code != 0 || res.Elapsed > within {
			t.Errorf("trial %d: ssh %s true %v after the network change (hung: %t): %s; want exit 0 within %v\nlogs:\n%s",
				trial, lifecycleHost, pause, hung, res, within, l.logs())
			if hung {
				break // every later trial would hang the same way
			}
			continue
		}
		ms := l.masters(t)
		if len(ms) != 1 || !ms[0].Healthy {
			t.Fatalf("trial %d: status after the network change: %+v; want one healthy master\nlogs:\n%s",
				trial, ms, l.logs())
		}
		if ms[0].Pid == old.Pid {
			healed++ // the master logged in again and carried on
		} else {
			// A fresh master took over: the one with the dead upstream must not linger.
			l.waitGone(t, old.Pid, time.Now(), 5*time.Second)
		}
	}
	t.Logf("ssh %v after a network change: median %v of %d trials, all %s; %d healed in place, the others by a fresh master",
		pause, medianDuration(times).Round(time.Millisecond), len(times), roundAll(times), healed)
	if got, want := l.sshd.Logins(), len(times)+1; !t.Failed() && got != want {
		t.Errorf("sshd logins = %d after %d trials; want %d (one per dead upstream, plus the first)", got, len(times), want)
	}
}

// TestLifecycleSIGKILL: after the master is killed with SIGKILL, the next
// ssh succeeds on a fresh master, within 1 s of what a cold connect (no
// master at all) takes. Cold and after-kill connects alternate, so both
// see the same machine load.
func TestLifecycleSIGKILL(t *testing.T) {
	const trials = 3
	l := newLifecycle(t, 0)
	var cold, killed []time.Duration
	for trial := range trials {
		l.c.StopMasters(l.bin)
		res := l.mustSSH(t, "true")
		cold = append(cold, res.Elapsed)

		m := l.master(t)
		sigkill(t, m.Pid)
		l.waitGone(t, m.Pid, time.Now(), 5*time.Second)
		if _, err := os.Stat(m.Socket); err != nil {
			t.Logf("trial %d: socket %s after SIGKILL: %v (nothing stale to step over)", trial, m.Socket, err)
		}
		res = l.mustSSH(t, "true")
		killed = append(killed, res.Elapsed)
		if got := l.master(t).Pid; got == m.Pid {
			t.Errorf("trial %d: master pid after SIGKILL = %d; want a fresh master", trial, got)
		}
	}
	limit := medianDuration(cold) + time.Second
	t.Logf("cold connect: median %v, all %s; after SIGKILL: median %v, all %s",
		medianDuration(cold).Round(time.Millisecond), roundAll(cold),
		medianDuration(killed).Round(time.Millisecond), roundAll(killed))
	for i, d := range killed {
		if d > limit {
			t.Errorf("trial %d: ssh after SIGKILL of the master took %v; want at most %v (cold median + 1s)\nlogs:\n%s",
				i, d.Round(time.Millisecond), limit.Round(time.Millisecond), l.logs())
		}
	}
}

// TestLifecycleStatusStale: a master killed with SIGKILL leaves a socket
// that the next status cleans and reports on stderr once; a second status
// says nothing about it.
func TestLifecycleStatusStale(t *testing.T) {
	l := newLifecycle(t, 0)
	l.mustSSH(t, "true")
	m := l.master(t)
	sigkill(t, m.Pid)
	l.waitGone(t, m.Pid, time.Now(), 5*time.Second)

	res := l.sshshare(t, "status")
	lines := strings.Split(strings.TrimSpace(string(res.Stderr)), "\n")
	if res.Code != 0 || len(lines) != 1 || !strings.HasPrefix(lines[0], "sshshare: ") ||
		!strings.Contains(lines[0], m.Socket) || !mentionsGone(lines[0]) {
		t.Errorf("first sshshare status after SIGKILL: %s; want exit 0 and one stderr line "+
			"\"sshshare: ...\" naming %s as gone or cleaned", res, m.Socket)
	}
	if strings.Contains(string(res.Stdout), m.Socket) {
		t.Errorf("first sshshare status after SIGKILL lists the dead master:\n%s", res.Stdout)
	}
	if _, err := os.Stat(m.Socket); !os.IsNotExist(err) {
		t.Errorf("socket %s after status: %v; want it cleaned", m.Socket, err)
	}

	res = l.sshshare(t, "status", "--json")
	if res.Code != 0 || len(res.Stderr) != 0 || strings.TrimSpace(string(res.Stdout)) != "[]" {
		t.Errorf("second sshshare status --json: %s; want exit 0, stdout [], empty stderr", res)
	}
	res = l.sshshare(t, "status")
	if res.Code != 0 || len(res.Stderr) != 0 {
		t.Errorf("third sshshare status: %s; want exit 0, empty stderr", res)
	}
}

// mentionsGone reports whether a status message says a master is gone or
// was cleaned up.
func mentionsGone(line string) bool {
	line = strings.ToLower(line)
	return strings.Contains(line, "gone") || strings.Contains(line, "clean") || strings.Contains(line, "stale")
}
