//go:build linux

package bench

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// Aliases of the tunnel benchmark's ssh config.
const (
	// bastionAlias reaches the bastion through the relay, plainly: the
	// Host block sshshare --via and ProxyJump use.
	bastionAlias = "bastion"
	// bastionCMAlias is the same bastion with ControlMaster auto and
	// ControlPersist: the Host block the shared ProxyJump uses.
	bastionCMAlias = "bastion-cm"
)

// tunnelEnv is a bastion sshd behind the delaying relay and a target sshd
// that the bastion reaches directly on 127.0.0.1, as a remote bastion
// reaches the fleet beside it, with one client that reaches the target
// three ways: through sshshare in tunnel mode, through ProxyJump, and
// through ProxyJump with ControlMaster on the bastion. Every method logs
// in to the target each time; what differs is the bastion leg.
//
// The embedded env's sshd is the bastion; its methods are the three.
type tunnelEnv struct {
	*env
	bastion, target *harness.SSHD

	tunnel, jump, jumpCM method
}

// newTunnelEnv starts both sshds and the relay, which adds rtt between
// the client and the bastion only, and sets up the hosts. Cleanups stop
// every master, fail the benchmark if a client-side process survives, and
// then stop the relay and both sshds.
func newTunnelEnv(b *testing.B, rtt time.Duration) *tunnelEnv {
	b.Helper()
	opts := harness.SSHDOptions{Extra: quietShell}
	e := &tunnelEnv{
		bastion: harness.StartSSHD(b, opts),
		target:  harness.StartSSHD(b, opts),
	}
	base := &env{b: b, rtt: rtt, sshd: e.bastion, bin: harness.Binary(b), cpu: readCPUTimes()}
	e.env = base
	base.client = harness.NewClient(b, e.bastion)
	// Before any Host block names the target's address, so known_hosts
	// holds the target's own key for it.
	base.client.AddSSHD(e.target)
	base.dir = shortTempDir(b)
	relay := harness.NewRelay(b, e.bastion.Addr(), rtt/2)
	toBastion := "Port " + strconv.Itoa(relay.Port())
	toTarget := "Port " + strconv.Itoa(e.target.Port)
	// Registered before the hosts, so it runs after their cleanups.
	b.Cleanup(base.checkLeftovers)
	base.client.AddHost(bastionAlias, toBastion)
	base.client.AddHost(bastionCMAlias, toBastion,
		"ControlMaster auto",
		"ControlPath "+base.dir+"/cm-%C",
		"ControlPersist 60")
	e.tunnel = newTunnelShare(base, toTarget)
	e.jump = newProxyJump(base, toTarget)
	e.jumpCM = newJumpControlMaster(base, toTarget)
	base.methods = []method{e.tunnel, e.jump, e.jumpCM}
	return e
}

// tunnelShare is sshshare's tunnel mode: ProxyCommand sshshare --via
// bastion on the target's Host block, with no KnownHostsCommand (ssh
// checks the target's host key end to end).
type tunnelShare struct{ sshshareMasters }

func newTunnelShare(e *env, toTarget string) method {
	e.client.AddTunnelHost("tunnel", e.bin, bastionAlias, toTarget)
	return tunnelShare{sshshareMasters{e, ""}}
}

func (tunnelShare) Name() string { return "sshshare tunnel (--via bastion)" }
func (tunnelShare) Key() string  { return "tunnel" }
func (tunnelShare) Host() string { return "tunnel" }

// proxyJump is `ssh -J bastion target` written in the config: every
// command logs in to the bastion and then to the target.
type proxyJump struct{}

func newProxyJump(e *env, toTarget string) method {
	e.client.AddHost("jump", toTarget, "ProxyJump "+bastionAlias)
	return proxyJump{}
}

func (proxyJump) Name() string   { return "ProxyJump (ssh -J bastion)" }
func (proxyJump) Key() string    { return "proxyjump" }
func (proxyJump) Host() string   { return "jump" }
func (proxyJump) Masters() []int { return nil }
func (proxyJump) Stop()          {}

// jumpControlMaster is ProxyJump to a bastion whose Host block has
// ControlMaster auto, a ControlPath and ControlPersist: the usual OpenSSH
// way to share the bastion login. The jump ssh's -W becomes a stdio
// forward of the bastion's ControlMaster master.
type jumpControlMaster struct{ cmMasters }

func newJumpControlMaster(e *env, toTarget string) method {
	e.client.AddHost("jump-cm", toTarget, "ProxyJump "+bastionCMAlias)
	m := jumpControlMaster{cmMasters{e, bastionCMAlias}}
	e.b.Cleanup(m.Stop)
	return m
}

func (jumpControlMaster) Name() string { return "ProxyJump + ControlMaster on bastion" }
func (jumpControlMaster) Key() string  { return "proxyjump-cm" }
func (jumpControlMaster) Host() string { return "jump-cm" }

// tunnelSamples are the times of the tunnel benchmark and the logins each
// sshd saw, per method key.
type tunnelSamples struct {
	times                       map[string][]time.Duration
	bastionLogins, targetLogins map[string]int
}

func newTunnelSamples() *tunnelSamples {
	return &tunnelSamples{
		times:         make(map[string][]time.Duration),
		bastionLogins: make(map[string]int),
		targetLogins:  make(map[string]int),
	}
}

// ssh runs `ssh host args...` for m and fails the benchmark, with the
// sshshare masters' logs, unless it exits 0.
func (e *tunnelEnv) ssh(m method, args ...string) run {
	e.b.Helper()
	r := e.time(e.client.SSH(append([]string{m.Host()}, args...)...))
	if !r.ok() {
		e.b.Fatalf("%s: ssh %s %s: %s\nsshshare master logs:\n%s",
			m.Name(), m.Host(), strings.Join(args, " "), r, e.client.MasterLogs())
	}
	return r
}

// warmUp runs one unmeasured `ssh host true` per method: it starts the
// masters.
func (e *tunnelEnv) warmUp() {
	for _, m := range e.methods {
		e.ssh(m, "true")
	}
}

// sample runs `ssh host true` for m and records its time and the logins
// the bastion and the target saw meanwhile.
func (e *tunnelEnv) sample(s *tunnelSamples, m method) {
	bastion, target := e.bastion.Logins(), e.target.Logins()
	r := e.ssh(m, "true")
	s.times[m.Key()] = append(s.times[m.Key()], r.elapsed)
	s.bastionLogins[m.Key()] += e.bastion.Logins() - bastion
	s.targetLogins[m.Key()] += e.target.Logins() - target
}

// benchTunnelWarm is BenchmarkTunnelWarm50ms (declared with the others in
// bench_test.go): warm `ssh target true` through a bastion rtt away, the
// three tunnel methods interleaved.
func benchTunnelWarm(b *testing.B, rtt time.Duration) {
	e := newTunnelEnv(b, rtt)
	e.warmUp()
	s := newTunnelSamples()
	for round := range *warmSamples {
		for _, m := range e.ordered(round) {
			e.sample(s, m)
		}
	}
	e.stopAll()
	e.tunnelTable(s,
		fmt.Sprintf("Tunnel mode: warm `ssh target true` through a bastion, %s RTT to the bastion", rttName(rtt)),
		fmt.Sprintf("Two sshd: the client reaches the bastion through the relay, the bastion reaches the target "+
			"directly on 127.0.0.1. %d samples per method after one warm-up each; logins are those each sshd saw "+
			"during the samples.", *warmSamples))
}

// tunnelTable reports the samples as a table and as metrics.
func (e *tunnelEnv) tunnelTable(s *tunnelSamples, title, note string) {
	jump := msf(median(s.times[e.jump.Key()]))
	jumpCM := msf(median(s.times[e.jumpCM.Key()]))
	t := table{title: title, note: note,
		head: []string{"method", "median", "p90", "min", "bastion logins", "target logins",
			"vs ProxyJump", "vs ProxyJump + ControlMaster"}}
	for _, m := range e.methods {
		ts := s.times[m.Key()]
		med := msf(median(ts))
		t.rows = append(t.rows, []string{m.Name(), ms(median(ts)), ms(percentile(ts, 90)), ms(percentile(ts, 0)),
			fmt.Sprint(s.bastionLogins[m.Key()]), fmt.Sprint(s.targetLogins[m.Key()]), ratio(med, jump), ratio(med, jumpCM)})
		e.b.ReportMetric(med, m.Key()+"-ms")
		e.b.ReportMetric(msf(percentile(ts, 90)), m.Key()+"-p90-ms")
		e.b.ReportMetric(float64(s.bastionLogins[m.Key()]), m.Key()+"-bastion-logins")
	}
	tunnel := msf(median(s.times[e.tunnel.Key()]))
	e.b.ReportMetric(tunnel/jump, "tunnel/proxyjump")
	e.b.ReportMetric(tunnel/jumpCM, "tunnel/proxyjump-cm")
	e.b.ReportMetric(0, "ns/op")
	e.addTable(t)
}
