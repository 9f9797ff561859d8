//go:build unix

package integration

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// orphanWait is how long after its ssh was killed a remote command must
// have ended (issue 17, item 13).
const orphanWait = 5 * time.Second

// TestShareOrphanedCommandEnds: `ssh host 'sleep N'` without a tty, killed
// with SIGTERM or SIGHUP, leaves the remote sleep running with plain ssh
// and ControlMaster. Through sshshare the master signals it, so it is gone
// on the server 5 s later; with SSHSHARE_KEEP_ORPHANS (--keep-orphans) it
// stays, as with plain ssh.
//
// sshd refuses to signal a root login's session ("session signalling
// requires privilege separation": it skips privilege separation after a
// root login), so as root the test logs in as an unprivileged account,
// with its password (sshd could not read the test's authorized_keys as
// that user).
func TestShareOrphanedCommandEnds(t *testing.T) {
	var opts harness.SSHDOptions
	var user []string
	if os.Geteuid() == 0 {
		opts.Extra = "PasswordAuthentication yes"
		user = []string{"User " + loginPWUser, "BatchMode no"}
	}
	e := newShareEnv(t, opts)
	if os.Geteuid() == 0 {
		pw := harness.PasswordUser(t, loginPWUser)
		e.c.Env = append(e.c.Env, harness.NewAskpass(t, harness.AskpassAnswer{Match: "assword", Answer: pw}).Env()...)
	}
	e.c.AddShareHost("orphans", e.bin, user...)
	e.c.AddShareHost("keep", e.bin, user...)
	for _, tc := range []struct {
		name  string
		alias string
		sig   syscall.Signal
		secs  string // unique per case: the remote command is found by it
		keep  bool
	}{
		{"SIGTERM", "orphans", syscall.SIGTERM, "312.5", false},
		{"SIGHUP", "orphans", syscall.SIGHUP, "313.5", false},
		{"SIGTERM with keep-orphans", "keep", syscall.SIGTERM, "314.5", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pattern := `^(sh -c )?sleep ` + regexp.QuoteMeta(tc.secs) + `$`
			t.Cleanup(func() { orphanKill(t, pattern) })
			cmd := e.c.SSH("-T", tc.alias, "sleep "+tc.secs)
			if tc.keep {
				cmd.Env = append(cmd.Env, "SSHSHARE_KEEP_ORPHANS=1")
			}
			ssh := harness.Start(t, cmd)
			if !shareWaitFor(sshTimeout, func() bool { return len(orphanPids(t, pattern)) > 0 }) {
				t.Fatalf("remote %q did not start within %v\nstderr:\n%s", "sleep "+tc.secs, sshTimeout, ssh.Stderr())
			}
			if err := ssh.Cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			ssh.Wait(t, sshTimeout)
			killed := time.Now()
			gone := shareWaitFor(orphanWait, func() bool { return len(orphanPids(t, pattern)) == 0 })
			t.Logf("ssh killed with %v (keep-orphans %v): remote sleep gone %v, %v after the kill",
				tc.sig, tc.keep, gone, time.Since(killed).Round(10*time.Millisecond))
			switch {
			case !tc.keep && !gone:
				t.Errorf("remote sleep %s still runs %v after its ssh got %v: %v; want it ended\nsshd log:\n%s", tc.secs, orphanWait, tc.sig, orphanPids(t, pattern), e.sshd.Log())
			case tc.keep && gone:
				t.Errorf("remote sleep %s ended after its ssh got %v; want it left running with keep-orphans", tc.secs, tc.sig)
			}
		})
	}
}

// orphanPids are the pids of processes whose command line matches
// pattern (pgrep -f: the server is this machine).
func orphanPids(t *testing.T, pattern string) []int {
	t.Helper()
	out, err := exec.Command("pgrep", "-f", pattern).Output()
	if err != nil && len(out) == 0 {
		return nil // pgrep exits 1 when nothing matches
	}
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// orphanKill kills, by pid, what a case left running on the server.
func orphanKill(t *testing.T, pattern string) {
	t.Helper()
	for _, pid := range orphanPids(t, pattern) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}
