//go:build unix

package integration

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// loginNoWayToAskWithin is the acceptance bound: a login that cannot ask
// its question fails within it.
const loginNoWayToAskWithin = 2 * time.Second

// loginNoWayToAskBurst is how many invocations start at once on a cold
// master.
const loginNoWayToAskBurst = 10

// TestLoginNoWayToAsk: when the login needs something nobody can give
// (BatchMode yes and no usable key; or a password with no terminal and no
// askpass), ssh through sshshare fails at once with a clear sshshare:
// message, and every invocation waiting on that master fails the same way.
func TestLoginNoWayToAsk(t *testing.T) {
	t.Run("batchmode-no-key", func(t *testing.T) {
		sshd := harness.StartSSHD(t, harness.SSHDOptions{})
		c := harness.NewClient(t, sshd)
		loginRemoveKey(t, c)
		bin := harness.Binary(t)
		c.AddShareHost("batch", bin, "BatchMode yes")
		loginCheckNoWayToAsk(t, sshd, c, bin, "batch", nil)
	})

	t.Run("no-tty-no-askpass", func(t *testing.T) {
		loginRequireRoot(t, "logs in as a local account with a password (useradd, chpasswd)")
		harness.PasswordUser(t, loginPWUser)
		sshd, c, bin := loginPasswordClient(t, loginPasswordSSHDs[0].opts, "nobody-asks")
		// ssh must not find a way to ask: no DISPLAY, no SSH_ASKPASS, and
		// loginNoTTY gives it no terminal.
		loginCheckNoWayToAsk(t, sshd, c, bin, "nobody-asks", []string{"askpass", "terminal"})
	})
}

// loginCheckNoWayToAsk starts loginNoWayToAskBurst ssh at once on a cold
// master, then one more on a cold master, and checks that each exits 255
// within loginNoWayToAskWithin (see loginNoWayToAskBound) with the same
// sshshare: lines on stderr, which mention every word of mention, and
// that the sshd saw no login and no password attempt.
func loginCheckNoWayToAsk(t *testing.T, sshd *harness.SSHD, c *harness.Client, bin, alias string, mention []string) {
	t.Helper()
	within := loginNoWayToAskBound(t, bin)
	type run struct {
		proc    *harness.Proc
		elapsed time.Duration
	}
	runs := make([]*run, loginNoWayToAskBurst)
	done := make(chan struct{}, loginNoWayToAskBurst)
	start := time.Now()
	for i := range runs {
		r := &run{proc: harness.Start(t, loginNoTTY(c.SSH(alias, "true")))}
		runs[i] = r
		go func() {
			<-r.proc.Done()
			r.elapsed = time.Since(start)
			done <- struct{}{}
		}()
	}
	timeout := time.After(sshTimeout)
	for range runs {
		select {
		case <-done:
		case <-timeout:
			for _, r := range runs {
				r.proc.Kill()
			}
			t.Fatalf("burst of %d ssh: not all finished within %v (one hangs)\nmaster logs:\n%s", len(runs), sshTimeout, loginMasterLogs(t, c, alias))
		}
	}
	var want []string
	var times []string
	for i, r := range runs {
		times = append(times, r.elapsed.Round(time.Millisecond).String())
		stderr := r.proc.Stderr()
		lines := loginSSHShareLines([]byte(stderr))
		if got := r.proc.ExitCode(); got != 255 {
			t.Errorf("burst ssh #%d: exit %d; want 255\nstderr:\n%s", i+1, got, stderr)
		}
		if r.elapsed >= within {
			t.Errorf("burst ssh #%d: failed after %v; want under %v", i+1, r.elapsed, within)
		}
		if len(lines) == 0 {
			t.Errorf("burst ssh #%d: no sshshare: line on stderr; want a clear message\nstderr:\n%s", i+1, stderr)
			continue
		}
		if want == nil {
			want = lines
		} else if !slices.Equal(lines, want) {
			t.Errorf("burst ssh #%d: sshshare lines %q; want the same as the others, %q", i+1, lines, want)
		}
	}
	t.Logf("burst of %d on a cold master: times since start %s", len(runs), strings.Join(times, " "))
	t.Logf("burst message: %q", want)

	loginWaitNoMaster(t, c, bin)
	res := harness.Run(t, sshTimeout, loginNoTTY(c.SSH(alias, "true")))
	t.Logf("single ssh on a cold master: %v", res.Elapsed.Round(time.Millisecond))
	lines := loginSSHShareLines(res.Stderr)
	if res.Code != 255 {
		t.Errorf("single ssh: %s; want exit 255", res)
	}
	if res.Elapsed >= within {
		t.Errorf("single ssh: failed after %v; want under %v", res.Elapsed, within)
	}
	if len(lines) == 0 {
		t.Errorf("single ssh: no sshshare: line on stderr; want a clear message\nstderr:\n%s", res.Stderr)
	}
	all := strings.ToLower(strings.Join(append(lines, want...), "\n"))
	for _, word := range mention {
		if !strings.Contains(all, word) {
			t.Errorf("sshshare lines %q do not mention %q; want the way out said", append(lines, want...), word)
		}
	}
	if got := sshd.Logins(); got != 0 {
		t.Errorf("sshd logins = %d; want 0", got)
	}
	// Nothing was asked, so nothing may be guessed: an empty password sent
	// for want of an answer counts against the account (lockout policies).
	for _, line := range strings.Split(sshd.Log(), "\n") {
		line = strings.TrimSpace(line)
		if strings.Contains(line, "Failed password") || strings.Contains(line, "Failed keyboard-interactive") {
			t.Errorf("sshd log: %q; want no password tried when nobody can be asked", line)
		}
	}
	if t.Failed() {
		t.Logf("master logs:\n%s", loginMasterLogs(t, c, alias))
		t.Logf("sshd log:\n%s", sshd.Log())
	}
}

// loginNoWayToAskBound is loginNoWayToAskWithin plus the fixed cost of
// starting the sshshare binary twice (the invocation, then the master),
// measured here: a -race build can take a second just to start, which says nothing
// about how soon sshshare gives up. Without -race the start-up is a few
// milliseconds and the bound is the acceptance's 2 s.
func loginNoWayToAskBound(t *testing.T, bin string) time.Duration {
	t.Helper()
	startup := time.Hour
	for range 3 {
		res := harness.Run(t, sshTimeout, exec.Command(bin, "version"))
		if res.Code != 0 {
			t.Fatalf("sshshare version: %s", res)
		}
		startup = min(startup, res.Elapsed)
	}
	bound := loginNoWayToAskWithin + 2*startup
	t.Logf("sshshare start-up %v; failures must come within %v", startup.Round(time.Millisecond), bound.Round(time.Millisecond))
	return bound
}

// loginWaitNoMaster waits until sshshare status lists no master for the
// client, so that the next ssh finds a cold start.
func loginWaitNoMaster(t *testing.T, c *harness.Client, bin string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(c.Masters(bin)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("masters %+v still listed 10s after a failed login; want them gone", c.Masters(bin))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
