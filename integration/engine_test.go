//go:build unix

package integration

import (
	"bytes"
	"crypto/rand"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// engineDebug makes sshd log the negotiated algorithms (kex, cipher,
// compression): DEBUG1 has them, VERBOSE not. (sshd then also sends
// debug lines to the client's stderr.)
const engineDebug = "LogLevel DEBUG1"

// newEngineEnv is newShareEnv with the master's engine forced to
// OpenSSH (SSHSHARE_ENGINE, read by the ProxyCommand) when force, else
// auto, sshd's
// extra config sshdExtra, and the Host block's extra lines.
func newEngineEnv(t *testing.T, force bool, sshdExtra string, lines ...string) *shareEnv {
	t.Helper()
	sshd := harness.StartSSHD(t, harness.SSHDOptions{Extra: "SetEnv HOME=" + t.TempDir() + "\n" + sshdExtra})
	c := harness.NewClient(t, sshd)
	c.Env = append(c.Env, "GORACE=atexit_sleep_ms=0")
	engine := "auto" // whatever the suite forces
	if force {
		engine = "openssh"
	}
	c.Env = append(c.Env, harness.EngineEnv+"="+engine)
	bin := harness.Binary(t)
	c.AddShareHost(shareHost, bin, lines...)
	t.Cleanup(func() { engineNoRace(t, c, bin) }) // before the masters are stopped
	return &shareEnv{sshd: sshd, c: c, bin: bin}
}

// engineNoRace fails t if a master's log has a data race report (a -race
// build writes them to its stderr, which is the log) in the OpenSSH
// engine's code. (Others are left to the tests of their code: one in
// golang.org/x/crypto/ssh's channel opens on the local hop shows up with
// either engine.)
func engineNoRace(t *testing.T, c *harness.Client, bin string) {
	t.Helper()
	for _, m := range c.Masters(bin) {
		reports := strings.Split(shareMasterLog(m), "WARNING: DATA RACE")
		for _, r := range reports[1:] {
			if strings.Contains(r, "share/upstream/openssh") || strings.Contains(r, "share/upstream/askpass") || strings.Contains(r, "share/engine.go") {
				t.Errorf("master %s: data race in the openssh engine:%s", m.Target, r)
			}
		}
	}
}

// engineMaster is the only master's status, which must be the OpenSSH
// engine's with its ssh running.
func engineMaster(t *testing.T, e *shareEnv) harness.MasterStatus {
	t.Helper()
	m := e.master(t)
	if m.Engine != "openssh" || len(m.EnginePIDs) == 0 {
		t.Fatalf("status: engine %q, ssh pids %v; want openssh and its ssh\nmaster log:\n%s", m.Engine, m.EnginePIDs, shareMasterLog(m))
	}
	return m
}

// TestEngineSession: with the engine forced, sessions carry bytes exactly
// both ways and exit codes, on one login, and status names the engine.
func TestEngineSession(t *testing.T) {
	e := newEngineEnv(t, true, "")
	data := make([]byte, 1<<20)
	rand.Read(data)
	cmd := e.c.SSH(shareHost, "cat")
	cmd.Stdin = bytes.NewReader(data)
	res := harness.Run(t, sshTimeout, cmd)
	if res.Code != 0 || !bytes.Equal(res.Stdout, data) {
		t.Fatalf("ssh cat of 1 MiB: exit %d, %d bytes back (equal %v); stderr %q", res.Code, len(res.Stdout), bytes.Equal(res.Stdout, data), res.Stderr)
	}
	for _, tc := range []struct {
		cmd  string
		want int
	}{{"true", 0}, {"false", 1}, {"exit 44", 44}, {"kill -9 $$", 255}} {
		if res := e.ssh(t, tc.cmd); res.Code != tc.want {
			t.Errorf("ssh %q: %s; want exit %d", tc.cmd, res, tc.want)
		}
	}
	if res := e.mustSSH(t, "echo out; echo err >&2"); string(res.Stdout) != "out\n" || string(res.Stderr) != "err\n" {
		t.Errorf("streams: stdout %q stderr %q", res.Stdout, res.Stderr)
	}
	engineMaster(t, e)
	if got := e.sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d; want 1", got)
	}
}

// TestEngineAlgorithms: the user's Compression and a post-quantum key
// exchange the Go engine lacks are in effect upstream (sshd's log), and
// auto chose the OpenSSH engine for Compression. The local ssh applies
// KexAlgorithms to its own hop too, whose server is the master: the list
// keeps one it has after sntrup761.
func TestEngineAlgorithms(t *testing.T) {
	e := newEngineEnv(t, false, engineDebug, "Compression yes", "KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256")
	if res := e.mustSSH(t, "echo hi"); string(res.Stdout) != "hi\n" {
		t.Fatalf("ssh echo hi: %s", res)
	}
	engineMaster(t, e)
	log := e.sshd.Log()
	for _, want := range []string{"kex: algorithm: sntrup761x25519-sha512@openssh.com", "compression: zlib@openssh.com"} {
		if !strings.Contains(log, want) {
			t.Errorf("sshd log lacks %q:\n%s", want, log)
		}
	}
}

// TestEngineAuto: auto keeps the Go engine for a plain config, and takes
// OpenSSH for Compression yes.
func TestEngineAuto(t *testing.T) {
	plain := newEngineEnv(t, false, "")
	plain.mustSSH(t, "true")
	if m := plain.master(t); m.Engine != "go" || len(m.EnginePIDs) != 0 {
		t.Errorf("plain config: engine %q pids %v; want go", m.Engine, m.EnginePIDs)
	}
	compressed := newEngineEnv(t, false, "", "Compression yes")
	compressed.mustSSH(t, "true")
	engineMaster(t, compressed)
}

// TestEngineColdBurst: 20 ssh started at once with no master make one
// login through one engine ssh.
func TestEngineColdBurst(t *testing.T) {
	e := newEngineEnv(t, true, "")
	const n = 20
	var wg sync.WaitGroup
	results := make([]harness.Result, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = harness.Run(t, 2*sshTimeout, e.c.SSH(shareHost, "echo", "ok"))
		}()
	}
	wg.Wait()
	for i, res := range results {
		if res.Code != 0 || string(res.Stdout) != "ok\n" {
			t.Errorf("ssh %d: %s", i, res)
		}
	}
	m := engineMaster(t, e)
	if got := e.sshd.Logins(); got != m.Upstreams {
		t.Errorf("sshd logins = %d; want %d (one per upstream connection)", got, m.Upstreams)
	}
	if m.Upstreams != 1 {
		t.Logf("upstreams = %d (sessions past MaxSessions get a pooled engine ssh)", m.Upstreams)
	}
}

// TestEngineStop: stopping the master ends its engine ssh.
func TestEngineStop(t *testing.T) {
	e := newEngineEnv(t, true, "")
	e.mustSSH(t, "true")
	engineMaster(t, e)
	e.c.StopMasters(e.bin) // fails the test if an engine ssh outlives it
	if ms := e.c.Masters(e.bin); len(ms) != 0 {
		t.Errorf("masters after stop: %+v", ms)
	}
}

// TestEnginePassword: the engine ssh's password question reaches the
// user once, through the waiting ssh's askpass, for six connections on
// one login; the password is written nowhere.
func TestEnginePassword(t *testing.T) {
	loginRequireRoot(t, "logs in as a local account with a password (useradd, chpasswd)")
	pw := harness.PasswordUser(t, loginPWUser)
	for _, tc := range loginPasswordSSHDs {
		t.Run(tc.name, func(t *testing.T) {
			askpass := harness.NewAskpass(t, harness.AskpassAnswer{Match: "assword", Answer: pw})
			sshd, c, bin := loginPasswordClient(t, tc.opts, "pw")
			c.Env = append(c.Env, askpass.Env()...)
			c.Env = append(c.Env, harness.EngineEnv+"=openssh")

			loginRunTrue(t, c, "pw", 6)

			if got := askpass.Calls(); got != 1 {
				t.Errorf("askpass called %d times; want 1; prompts %q", got, askpass.Prompts())
			}
			if got := sshd.Logins(); got != 1 {
				t.Errorf("sshd logins = %d; want 1", got)
			}
			if ms := c.Masters(bin); len(ms) != 1 || ms[0].Engine != "openssh" {
				t.Errorf("masters %+v; want one, engine openssh", ms)
			}
			loginAssertNoSecret(t, c.Home, pw)
		})
	}
}

// TestEngineProxyJump: the engine ssh goes through the bastion's master
// (its ProxyCommand a tunnel-mode sshshare), as the Go engine does: one
// bastion login and one target login for many ssh, and a second target
// behind the bastion shares the bastion's login.
func TestEngineProxyJump(t *testing.T) {
	target, bastion, ns, c, bin := newRouteLab(t)
	c.Env = append(c.Env, harness.EngineEnv+"=openssh")
	c.AddShareRoute(routeTarget, bin, "ProxyJump "+routeBastion)
	for i := range 5 {
		if res := harness.Run(t, 60*time.Second, ns.Command(c.SSH(routeTarget, "echo", "ok"))); res.Code != 0 || string(res.Stdout) != "ok\n" {
			t.Fatalf("ssh #%d through the bastion: %s\n%s", i, res, c.MasterLogs())
		}
	}
	if bl, tl := bastion.Logins(), target.Logins(); bl != 1 || tl != 1 {
		t.Errorf("bastion logins %d, target logins %d; want 1 and 1", bl, tl)
	}
	other := harness.StartSSHD(t, harness.SSHDOptions{})
	c.AddSSHD(other)
	c.AddShareRoute("other", bin, "Port "+strconv.Itoa(other.Port), "ProxyJump "+routeBastion)
	if res := harness.Run(t, 60*time.Second, ns.Command(c.SSH("other", "true"))); res.Code != 0 {
		t.Fatalf("ssh other: %s", res)
	}
	if bl, ol := bastion.Logins(), other.Logins(); bl != 1 || ol != 1 {
		t.Errorf("bastion logins %d, other's %d; want 1 and 1 (the bastion's master shared)", bl, ol)
	}
	for _, m := range c.Masters(bin) {
		if m.Mode == "share" && (m.Engine != "openssh" || len(m.EnginePIDs) != 1) {
			t.Errorf("target master %+v; want engine openssh with its ssh", m)
		}
	}
}

// TestEngineHeal: an engine ssh that dies is replaced without asking, and
// the next ssh works on the fresh login.
func TestEngineHeal(t *testing.T) {
	e := newEngineEnv(t, true, "")
	e.mustSSH(t, "true")
	m := engineMaster(t, e)
	if err := syscall.Kill(m.EnginePIDs[0], syscall.SIGKILL); err != nil {
		t.Fatalf("kill engine ssh: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if now := e.master(t); now.Healed >= 1 && len(now.EnginePIDs) > 0 && now.EnginePIDs[0] != m.EnginePIDs[0] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no heal 20s after the engine ssh was killed\n%s", shareMasterLog(m))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if res := e.mustSSH(t, "echo healed"); string(res.Stdout) != "healed\n" {
		t.Errorf("ssh after the heal: %s", res)
	}
	if got := e.sshd.Logins(); got != 2 {
		t.Errorf("sshd logins = %d; want 2 (the first and the heal's)", got)
	}
}

// TestEngineMasterKilled: a master killed outright leaves no engine ssh
// behind.
func TestEngineMasterKilled(t *testing.T) {
	e := newEngineEnv(t, true, "")
	e.mustSSH(t, "true")
	m := engineMaster(t, e)
	if err := syscall.Kill(m.Pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill master: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(m.EnginePIDs[0], 0) == nil {
		if time.Now().After(deadline) {
			syscall.Kill(m.EnginePIDs[0], syscall.SIGKILL)
			t.Fatalf("engine ssh %d still running 10s after its master was killed", m.EnginePIDs[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestEngineRemoteForward: -R with a fixed port, with port 0 and with a
// Unix socket carries bytes through the engine ssh (asked for over its
// control socket), and a port's listener goes away with its ssh.
func TestEngineRemoteForward(t *testing.T) {
	e := newEngineEnv(t, true, "")
	echo := harness.EchoServer(t)
	e.mustSSH(t, "true")
	engineMaster(t, e)
	e.remoteForwards(t, echo)
	t.Run("-R socket", func(t *testing.T) {
		sock := filepath.Join(shortTempDir(t, "sshshare-rsock-", 0o700), "s")
		_, stdin := e.startRemoteForward(t, sock+":"+echo)
		defer stdin.Close()
		deadline := time.Now().Add(shareForwardWait)
		for {
			conn, err := net.Dial("unix", sock)
			if err == nil {
				shareEchoThrough(t, conn)
				conn.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("nothing listening on %s after %v: %v", sock, shareForwardWait, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	if got := e.sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d; want 1", got)
	}
}

// TestEngineAgent: ssh -A through the engine forwards that ssh's own
// agent (the engine ssh hands the server's agent channels to the master),
// and X11 forwarding is refused by name on the session's stderr.
func TestEngineAgent(t *testing.T) {
	e := newEngineEnv(t, true, "")
	agent := loginStartAgent(t)
	loginSSHAdd(t, e.c, agent, e.c.KeyPath)
	want := loginFingerprint(t, e.c.KeyPath+".pub")
	cmd := e.c.SSH("-A", shareHost, "ssh-add", "-l")
	cmd.Env = append(cmd.Env, "SSH_AUTH_SOCK="+agent)
	res := harness.Run(t, sshTimeout, cmd)
	if res.Code != 0 || !strings.Contains(string(res.Stdout), want) {
		t.Errorf("ssh -A h ssh-add -l: %s; want the agent's key %s", res, want)
	}
	x := e.c.SSH("-o", "ForwardX11=yes", shareHost, "echo", "ran")
	x.Env = append(x.Env, "DISPLAY=127.0.0.1:93")
	res = harness.Run(t, sshTimeout, x)
	if res.Code != 0 || string(res.Stdout) != "ran\n" || !strings.Contains(string(res.Stderr), "sshshare: X11 forwarding refused for this session: the master's openssh engine") {
		t.Errorf("ssh -X: %s; want the session run and X11 refused by name", res)
	}
	engineMaster(t, e)
}

// TestEngineBlackHole: the network to the server goes silent under a
// running master; the master's pings through the engine find it, a fresh
// engine ssh logs in (the relay passes new connections), and the next ssh
// works within seconds.
func TestEngineBlackHole(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	relay := harness.NewRelay(t, sshd.Addr(), 0)
	l := newLifecycleClient(t, sshd, 0, portLine(relay.Port()), "ServerAliveInterval 1")
	l.c.Env = append(l.c.Env, harness.EngineEnv+"=openssh")
	if res := harness.Run(t, sshTimeout, l.c.SSH(lifecycleHost, "true")); res.Code != 0 {
		t.Fatalf("first ssh: %s", res)
	}
	before := l.c.Masters(l.bin)
	if len(before) != 1 || before[0].Engine != "openssh" {
		t.Fatalf("masters %+v; want one, engine openssh", before)
	}
	relay.BlackHole()
	start := time.Now()
	res := harness.Run(t, sshTimeout, l.c.SSH(lifecycleHost, "echo", "back"))
	took := time.Since(start)
	t.Logf("ssh after the black hole: exit %d after %v", res.Code, took.Round(time.Millisecond))
	if res.Code != 0 || string(res.Stdout) != "back\n" || took > 10*time.Second {
		t.Fatalf("ssh after the black hole: %s; want back within 10s", res)
	}
	after := l.c.Masters(l.bin)
	if len(after) != 1 || after[0].Pid != before[0].Pid || after[0].Healed < 1 || slices.Equal(after[0].EnginePIDs, before[0].EnginePIDs) {
		t.Errorf("masters after: %+v; want the same master healed with a new engine ssh (before: %+v)", after, before)
	}
}

// openSSHEngine reports whether the suite runs with the masters' engine
// forced to OpenSSH (SSHSHARE_ENGINE=openssh): a refusal then comes in
// ssh's own words, as plain ssh prints it.
func openSSHEngine() bool { return os.Getenv(harness.EngineEnv) == "openssh" }
