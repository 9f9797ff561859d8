//go:build unix

package integration

import (
	"os"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestMuxOrphan: an ssh served by the mux door that is killed (SIGTERM,
// SIGHUP) while its remote command runs exits 255, as a mux client does;
// the master then closes the session upstream and signals the command, as
// the ProxyCommand door does (TestShareOrphanedCommandEnds), so it is gone
// on the server soon after, and the master holds no channel for it.
//
// As root the remote user is an unprivileged account with a password (see
// TestShareOrphanedCommandEnds: sshd signals no root session).
func TestMuxOrphan(t *testing.T) {
	var opts harness.SSHDOptions
	var user []string
	if os.Geteuid() == 0 {
		opts.Extra = "PasswordAuthentication yes"
		user = []string{"User " + loginPWUser, "BatchMode no"}
	}
	e := newMuxEnv(t, opts, user...)
	if os.Geteuid() == 0 {
		pw := harness.PasswordUser(t, loginPWUser)
		e.c.Env = append(e.c.Env, harness.NewAskpass(t, harness.AskpassAnswer{Match: "assword", Answer: pw}).Env()...)
	}
	before := e.warm(t)
	for i, tc := range []struct {
		name string
		sig  syscall.Signal
		secs string // unique per case: the remote command is found by it
	}{
		{"SIGTERM", syscall.SIGTERM, "322.5"},
		{"SIGHUP", syscall.SIGHUP, "323.5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pattern := `^(sh -c )?sleep ` + regexp.QuoteMeta(tc.secs) + `$`
			t.Cleanup(func() { orphanKill(t, pattern) })
			ssh := harness.Start(t, e.c.SSH("-T", shareHost, "sleep "+tc.secs))
			if !shareWaitFor(sshTimeout, func() bool { return len(orphanPids(t, pattern)) > 0 }) {
				t.Fatalf("remote %q did not start within %v\nstderr:\n%s", "sleep "+tc.secs, sshTimeout, ssh.Stderr())
			}
			e.wantServed(t, before, i+1, "ssh -T "+shareHost+" sleep "+tc.secs)
			if err := ssh.Cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			if code := ssh.Wait(t, sshTimeout); code != 255 {
				t.Errorf("ssh killed with %v: exit %d; want 255\nstderr:\n%s", tc.sig, code, ssh.Stderr())
			}
			killed := time.Now()
			if !shareWaitFor(orphanWait, func() bool { return len(orphanPids(t, pattern)) == 0 }) {
				t.Errorf("remote sleep %s still runs %v after its ssh got %v: %v; want it ended", tc.secs, orphanWait, tc.sig, orphanPids(t, pattern))
			}
			t.Logf("remote sleep gone %v after ssh got %v", time.Since(killed).Round(10*time.Millisecond), tc.sig)
			var channels int
			if !shareWaitFor(orphanWait, func() bool { channels = e.master(t).Channels; return channels == 0 }) {
				t.Errorf("master channels = %d %v after the client was killed; want 0", channels, orphanWait)
			}
		})
	}
}
