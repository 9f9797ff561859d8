package integration

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestLifecycleColdFailureCause: cold starts that cannot connect (a name
// that does not resolve, a port nobody listens on), tried again and again
// as a user would, at spacings that land while the previous try's master
// is still ending. Every try prints the real cause first, exits 255 and
// ends about as fast as plain ssh (which takes some 0.05 s): never
// "master is exiting", never a wait for a master to wind down. (The cause
// is matched in any case: through the OpenSSH engine it is ssh's words.)
func TestLifecycleColdFailureCause(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	closed := unusedPort(t)
	for _, tc := range []struct {
		name  string
		lines []string
		cause string
	}{
		{"unresolvable", []string{"HostName foo.invalid"}, "could not resolve hostname foo.invalid"},
		{"closed port", []string{portLine(closed)}, "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLifecycleClient(t, sshd, 0, tc.lines...)
			const fast = 800 * time.Millisecond // a master winding down took 1 s
			var times []time.Duration
			for i, pause := range []time.Duration{0, 0, 200 * time.Millisecond, 500 * time.Millisecond, time.Second, 2500 * time.Millisecond} {
				time.Sleep(pause)
				res := l.ssh(t, "true")
				times = append(times, res.Elapsed)
				stderr := string(res.Stderr)
				first, _, _ := strings.Cut(stderr, "\n")
				if res.Code != 255 || !strings.HasPrefix(first, "sshshare: ") || !strings.Contains(strings.ToLower(first), tc.cause) ||
					strings.Contains(stderr, "master is exiting") {
					t.Errorf("try %d (%v after the last): %s; want exit 255, the first line sshshare: ... %s, no \"master is exiting\"\nlogs:\n%s",
						i, pause, res, tc.cause, l.logs())
				}
				if res.Elapsed > fast {
					t.Errorf("try %d (%v after the last) took %v; want under %v\nstderr:\n%s", i, pause, res.Elapsed.Round(time.Millisecond), fast, stderr)
				}
			}
			t.Logf("failed cold starts took %s", roundAll(times))
		})
	}
}

// unusedPort returns a port of 127.0.0.1 that nobody listens on.
func unusedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}
