package integration

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// Aliases of the route tests.
const (
	routeBastion = "bastion"
	routeTarget  = "target"
)

// TestRouteProxyJump: a target that only the bastion reaches (ssh,
// sshshare and its masters run in a network namespace whose only way out
// is the bastion's port), with ProxyJump beside sshshare's line in the two
// orders docs/setup.md recommends. 10 ssh at once and then 5 one after
// another all work, on one bastion login and one target login: the target
// master is in share mode and dials through the bastion's master. Before
// it, ssh without the route fails there: the target is isolated. Then a
// second target behind the same bastion makes no second bastion login.
func TestRouteProxyJump(t *testing.T) {
	for _, tt := range []struct {
		name  string
		route func(c *harness.Client, bin string)
	}{
		{"same block, sshshare first", func(c *harness.Client, bin string) {
			c.AddShareRoute(routeTarget, bin, "ProxyJump "+routeBastion)
		}},
		{"ProxyJump in a later block", func(c *harness.Client, bin string) {
			c.AddShareHost(routeTarget, bin)
			c.AppendConfig("Host "+routeTarget, "  ProxyJump "+routeBastion)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			target, bastion, ns, c, bin := newRouteLab(t)
			tt.route(c, bin)
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("master logs:\n%s", c.MasterLogs())
				}
			})

			direct := harness.Run(t, 20*time.Second, ns.Command(c.SSH("-o", "ProxyCommand=none", routeTarget, "true")))
			if direct.Code == 0 {
				t.Fatalf("ssh target without a route worked inside the namespace: the target is not isolated\n%s", direct)
			}

			first := harness.Run(t, 60*time.Second, ns.Command(c.SSH(routeTarget, "true")))
			if first.Code != 0 {
				t.Fatalf("first ssh: %s\n%s", first, c.MasterLogs())
			}
			procs := make([]*harness.Proc, 10)
			for i := range procs {
				procs[i] = harness.Start(t, ns.Command(c.SSH(routeTarget, "true")))
			}
			failed := 0
			for i, p := range procs {
				if code := p.Wait(t, 60*time.Second); code != 0 {
					failed++
					t.Errorf("ssh #%d of 10 at once: exit %d, stderr %q; want 0", i, code, p.Stderr())
				}
			}
			for i := range 5 {
				res := harness.Run(t, 30*time.Second, ns.Command(c.SSH(routeTarget, "true")))
				if res.Code != 0 {
					failed++
					t.Errorf("sequential ssh #%d: %s", i, res)
				}
			}
			bl, tl := bastion.Logins(), target.Logins()
			t.Logf("15 ssh (10 at once, 5 in a row): %d failed; bastion logins %d, target logins %d", failed, bl, tl)
			if bl != 1 || tl != 1 {
				t.Errorf("bastion logins %d, target logins %d; want 1 and 1\n%s", bl, tl, c.MasterLogs())
			}
			checkRouteMasters(t, c, bin, target, bastion)

			// Another target behind the same bastion shares its master.
			other := harness.StartSSHD(t, harness.SSHDOptions{})
			c.AddSSHD(other)
			c.AddShareRoute("other", bin, "Port "+strconv.Itoa(other.Port), "ProxyJump "+routeBastion)
			res := harness.Run(t, 30*time.Second, ns.Command(c.SSH("other", "true")))
			t.Logf("ssh other: exit %d; bastion logins %d, other's logins %d", res.Code, bastion.Logins(), other.Logins())
			if res.Code != 0 || bastion.Logins() != 1 || other.Logins() != 1 {
				t.Errorf("ssh other: %s\nbastion logins %d, other's %d; want exit 0, 1 and 1", res, bastion.Logins(), other.Logins())
			}
		})
	}
}

// checkRouteMasters checks status: the target's master in share mode via
// the bastion, the bastion's in tunnel mode with the target among its
// tunnels' targets.
func checkRouteMasters(t *testing.T, c *harness.Client, bin string, target, bastion *harness.SSHD) {
	t.Helper()
	var share, tunnel *harness.TunnelStatus
	all := c.TunnelMasters(bin)
	for i, m := range all {
		switch {
		case strings.HasSuffix(m.Target, ":"+strconv.Itoa(target.Port)):
			share = &all[i]
		case strings.HasSuffix(m.Target, ":"+strconv.Itoa(bastion.Port)):
			tunnel = &all[i]
		}
	}
	if len(all) != 2 || share == nil || tunnel == nil {
		t.Fatalf("status: %+v; want the target's master and the bastion's", all)
	}
	if share.Mode != "share" || share.Via != routeBastion {
		t.Errorf("target master: mode %q via %q; want share via %q", share.Mode, share.Via, routeBastion)
	}
	if tunnel.Mode != "tunnel" || tunnel.Via != "" {
		t.Errorf("bastion master: mode %q via %q; want tunnel, no via", tunnel.Mode, tunnel.Via)
	}
}

// TestRouteProxyCommand: an upstream ProxyCommand after sshshare's line (a
// plain relay, as `nc %h %p` would be) is the master's transport: the
// HostName does not resolve, so only the relay reaches the sshd. What the
// relay prints on stderr reaches the ssh that started the master; two ssh
// make one login; once the master is stopped no relay is left running.
func TestRouteProxyCommand(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	bin := harness.Binary(t)
	c := harness.NewClient(t, sshd)
	const alias = "relayed"
	c.AddShareRoute(alias, bin,
		"HostName relayed.invalid",
		"ProxyCommand "+harness.RelayCommand(t, "127.0.0.1:%p", "relay: to %h port %p for %r"))
	want := "relay: to relayed.invalid port " + strconv.Itoa(sshd.Port) + " for " + sshd.User + "\n"

	first := harness.Run(t, 30*time.Second, c.SSH(alias, "echo", "one"))
	if first.Code != 0 || string(first.Stdout) != "one\n" {
		t.Fatalf("first ssh: %s\n%s", first, c.MasterLogs())
	}
	if !strings.Contains(string(first.Stderr), want) {
		t.Errorf("first ssh stderr %q; want the relay's line %q", first.Stderr, want)
	}
	second := harness.Run(t, 30*time.Second, c.SSH(alias, "echo", "two"))
	if second.Code != 0 || string(second.Stdout) != "two\n" || len(second.Stderr) > 0 {
		t.Errorf("second ssh: %s; want two and no stderr", second)
	}
	if got := sshd.Logins(); got != 1 {
		t.Errorf("sshd logins %d; want 1", got)
	}
	t.Logf("relayed: first stderr %q, logins %d", first.Stderr, sshd.Logins())
	c.StopMasters(bin)
	waitNoRelay(t)
}

// TestRouteProxyCommandStays: a ProxyCommand that keeps its connection
// after its stdin ends (nc without -N) is gone after sshshare stop: the
// master's SIGHUP ends it (it starts with SIGHUP at its default, not
// ignored as the master has it), and one that ignores SIGHUP too is
// killed before the master exits. The first must go well before the
// master's kill (5 s after the SIGHUP) would end it.
func TestRouteProxyCommandStays(t *testing.T) {
	for _, tt := range []struct {
		name   string
		flags  []string
		within time.Duration
	}{
		{"stays after stdin ends", []string{harness.RelayStay}, 3 * time.Second},
		{"ignores SIGHUP too", []string{harness.RelayStay, harness.RelayNoHup}, 10 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sshd := harness.StartSSHD(t, harness.SSHDOptions{})
			bin := harness.Binary(t)
			c := harness.NewClient(t, sshd)
			c.AddShareRoute("staying", bin, "ProxyCommand "+harness.RelayCommand(t, "127.0.0.1:%p", "", tt.flags...))
			t.Cleanup(func() {
				for _, pid := range harness.HelperPids("sshshare-test-relay") {
					if p, err := os.FindProcess(pid); err == nil {
						p.Kill()
					}
				}
			})
			res := harness.Run(t, 30*time.Second, c.SSH("staying", "echo", "one"))
			if res.Code != 0 || string(res.Stdout) != "one\n" {
				t.Fatalf("ssh: %s\n%s", res, c.MasterLogs())
			}
			relays := harness.HelperPids("sshshare-test-relay")
			if len(relays) != 1 {
				t.Fatalf("relays running %v; want one", relays)
			}
			masters := c.Masters(bin)
			start := time.Now()
			harness.Run(t, 20*time.Second, c.Command(bin, "stop", "--all"))
			waitNoRelayWithin(t, tt.within)
			for _, m := range masters {
				if !harness.WaitPidGone(m.Pid, 10*time.Second) {
					t.Errorf("master %s (pid %d) still running 10s after sshshare stop", m.Target, m.Pid)
				}
			}
			t.Logf("relay %v gone %v after sshshare stop", relays, time.Since(start).Round(time.Millisecond))
		})
	}
}

// waitNoRelay waits until no relay helper runs: the master reaps its
// ProxyCommands when their connections end.
func waitNoRelay(t *testing.T) {
	t.Helper()
	waitNoRelayWithin(t, 10*time.Second)
}

// waitNoRelayWithin waits up to d until no relay helper runs.
func waitNoRelayWithin(t *testing.T, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		pids := harness.HelperPids("sshshare-test-relay")
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("relays still running %v after the master stopped: %v", d, pids)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRouteProxyCommandFails: an upstream ProxyCommand that cannot
// connect fails the ssh that started the master, as plain ssh fails
// (exit 255), with what the command printed and why the login failed.
func TestRouteProxyCommandFails(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	bin := harness.Binary(t)
	c := harness.NewClient(t, sshd)
	c.AddShareRoute("nowhere", bin, "ProxyCommand "+harness.RelayCommand(t, "127.0.0.1:1", "relay: dialling port 1"))
	res := harness.Run(t, 30*time.Second, c.SSH("nowhere", "true"))
	t.Logf("ssh through a failing ProxyCommand: %s", res)
	if res.Code != 255 {
		t.Errorf("exit %d; want 255", res.Code)
	}
	for _, want := range []string{"relay: dialling port 1\n", "connection refused", "sshshare: ", "ProxyCommand"} {
		if !strings.Contains(string(res.Stderr), want) {
			t.Errorf("stderr %q; want it to contain %q", res.Stderr, want)
		}
	}
	if got := sshd.Logins(); got != 0 {
		t.Errorf("sshd logins %d; want 0", got)
	}
}

// TestRouteProxyCommandLoop: a second ProxyCommand that runs sshshare
// through env (which the view does not recognise as sshshare's line, as it
// does a shell's -c)
// fails at once with a hint, instead of the master waiting for its own
// login.
func TestRouteProxyCommandLoop(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	bin := harness.Binary(t)
	c := harness.NewClient(t, sshd)
	template := strings.ReplaceAll(c.ShareControlPath(), "%", "%%")
	c.AddShareRoute("loop", bin, "ProxyCommand env "+bin+" -F "+c.ConfigPath+" --alias %n --control-path "+template+" %r %h %p")
	res := harness.Run(t, 30*time.Second, c.SSH("loop", "true"))
	t.Logf("ssh through sshshare behind env: %s", res)
	if res.Code != 255 || !strings.Contains(string(res.Stderr), "runs sshshare for the same host") {
		t.Errorf("exit %d, stderr %q; want 255 and the loop named", res.Code, res.Stderr)
	}
	if res.Elapsed > 15*time.Second {
		t.Errorf("took %v; want it refused at once", res.Elapsed)
	}
}

// newRouteLab starts a target sshd and a bastion sshd, and a client that
// knows both, with routeBastion as a Host of its own; the client's ssh is
// to run in ns, a network namespace from which only the bastion's port is
// reached, so only a route through the bastion reaches the target. The
// target takes 30 sessions, above the 10 ssh these tests start at once:
// they count the logins a route makes, not the pool's
// (share_concurrency_test.go). Without root for the namespace the test is
// skipped.
func newRouteLab(t *testing.T) (target, bastion *harness.SSHD, ns *harness.NetNS, c *harness.Client, bin string) {
	t.Helper()
	target = harness.StartSSHD(t, harness.SSHDOptions{MaxSessions: 30})
	bastion = harness.StartSSHD(t, harness.SSHDOptions{})
	ns, err := harness.NewNetNS(t, bastion.Port)
	if err != nil {
		t.Skipf("needs root and a network namespace to make a target only the bastion reaches: %v", err)
	}
	bin = harness.Binary(t)
	c = harness.NewClient(t, target)
	c.AddSSHD(bastion)
	c.AddHost(routeBastion, "Port "+strconv.Itoa(bastion.Port))
	return target, bastion, ns, c, bin
}
