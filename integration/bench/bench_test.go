//go:build linux

package bench

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// The benchmarks, in the order go test runs them and the report lists
// them. Each runs its scenario once whatever b.N is (see the package doc).

// BenchmarkWarm50ms: `ssh host true` with the master already up, at 50 ms
// RTT: what a user waits for on every command after the first.
func BenchmarkWarm50ms(b *testing.B) { benchWarm(b, 50*time.Millisecond) }

// BenchmarkWarm0ms: the same on a direct connection, where only local
// overhead is left.
func BenchmarkWarm0ms(b *testing.B) { benchWarm(b, 0) }

// BenchmarkMuxCheck: `ssh -O check host`, which tools that know OpenSSH's
// sharing run before they use a master: the mux door against
// ControlMaster.
func BenchmarkMuxCheck(b *testing.B) { benchMuxCheck(b) }

// BenchmarkCold50ms: `ssh host true` with no master, at 50 ms RTT: the
// first command's price.
func BenchmarkCold50ms(b *testing.B) { benchCold(b, 50*time.Millisecond) }

// BenchmarkBurst50ms: -burst (50) simultaneous cold `ssh host true`.
func BenchmarkBurst50ms(b *testing.B) { benchBurst(b, 50*time.Millisecond) }

// BenchmarkTunnelWarm50ms: `ssh target true` through a bastion at 50 ms
// RTT, the bastion login already up: sshshare tunnel mode (--via) against
// ProxyJump with and without ControlMaster on the bastion (issue 6).
func BenchmarkTunnelWarm50ms(b *testing.B) { benchTunnelWarm(b, 50*time.Millisecond) }

// BenchmarkBulk: 300 MB down and up with cat, scp and sftp, direct.
func BenchmarkBulk(b *testing.B) { benchBulk(b) }

// BenchmarkMasterRSS: the master's memory idle and with -sessions (100)
// sessions open.
func BenchmarkMasterRSS(b *testing.B) { benchRSS(b) }

// BenchmarkKeystroke: echo latency of keys typed into an interactive
// session, idle and while a bulk download runs over the same master.
func BenchmarkKeystroke(b *testing.B) { benchKeystroke(b) }

// rttName is "50 ms" or "0 ms".
func rttName(rtt time.Duration) string { return fmt.Sprintf("%d ms", rtt.Milliseconds()) }

// connectSamples are the times and logins of one connect benchmark, per
// method key.
type connectSamples struct {
	times  map[string][]time.Duration
	logins map[string]int
}

// sample runs `ssh host true` for m and records its time and the logins
// sshd saw meanwhile.
func (e *env) sample(s *connectSamples, m method) {
	before := e.sshd.Logins()
	r := e.ssh(m, "true")
	s.times[m.Key()] = append(s.times[m.Key()], r.elapsed)
	s.logins[m.Key()] += e.sshd.Logins() - before
}

func newConnectSamples() *connectSamples {
	return &connectSamples{times: make(map[string][]time.Duration), logins: make(map[string]int)}
}

// warmUp runs one unmeasured `ssh host true` per method: it starts the
// masters and makes sshshare's local host key. With the mux door among
// the methods, it then checks that the master serves its mux socket.
func (e *env) warmUp() {
	for _, m := range e.methods {
		e.ssh(m, "true")
	}
	if e.hasMux() {
		e.requireMuxDoor()
	}
}

func benchWarm(b *testing.B, rtt time.Duration) {
	e := newEnv(b, rtt, harness.SSHDOptions{})
	command := newShareCommand(e, e.route)
	engine := newEngine(e, e.route)
	e.methods = []method{e.mux, e.share, command, engine, e.cm, e.plain}
	e.warmUp()
	served := e.muxServed()
	s := newConnectSamples()
	for round := range *warmSamples {
		for _, m := range e.ordered(round) {
			e.sample(s, m)
		}
	}
	e.requireMuxServed(served, *warmSamples, "warm samples")
	e.stopAll()
	target := "mux door <= 0.55x ControlMaster"
	if rtt == 0 {
		target = "mux door <= 1.0x ControlMaster"
	}
	med := e.connectTable(s,
		fmt.Sprintf("Warm `ssh host true`, %s RTT", rttName(rtt)),
		fmt.Sprintf("%d samples per method after one warm-up each; logins are those sshd saw during the samples. "+
			"Target (issue 18): %s.", *warmSamples, target))
	mux, share, shareCommand, cm := med[e.mux.Key()], med[e.share.Key()], med[command.Key()], med[e.cm.Key()]
	if rtt > 0 {
		results.addTarget("warm at 50 ms RTT: mux door <= 0.55x ControlMaster (issue 18)",
			targetRatio(mux, cm, 0.55), mux <= 0.55*cm)
		results.addTarget("warm at 50 ms RTT: ProxyCommand door <= 1.1x ControlMaster (issue 3)",
			targetRatio(share, cm, 1.1), share <= 1.1*cm)
		results.addTarget("warm at 50 ms RTT: ProxyCommand door <= 0.65x ControlMaster (issue 7)",
			targetRatio(share, cm, 0.65), share <= 0.65*cm)
		results.addTarget("  the same, set up with KnownHostsCommand",
			targetRatio(shareCommand, cm, 0.65), shareCommand <= 0.65*cm)
	} else {
		results.addTarget("warm at 0 ms RTT: mux door <= 1.0x ControlMaster (issue 18)",
			targetRatio(mux, cm, 1), mux <= cm)
		results.addTarget("warm at 0 ms RTT: ProxyCommand door <= 2.0x ControlMaster (issue 7)",
			targetRatio(share, cm, 2), share <= 2*cm)
		results.addTarget("  the same, set up with KnownHostsCommand",
			targetRatio(shareCommand, cm, 2), shareCommand <= 2*cm)
	}
}

func benchCold(b *testing.B, rtt time.Duration) {
	e := newEnv(b, rtt, harness.SSHDOptions{})
	e.warmUp()
	s := newConnectSamples()
	for round := range *coldSamples {
		for _, m := range e.ordered(round) {
			m.Stop()
			e.sample(s, m)
		}
	}
	e.stopAll()
	med := e.connectTable(s,
		fmt.Sprintf("Cold `ssh host true`, %s RTT", rttName(rtt)),
		fmt.Sprintf("%d samples per method, each after stopping the method's master. A cold ssh through the mux door "+
			"finds no socket and runs the ProxyCommand, so both doors start the master alike.", *coldSamples))
	plain := med[e.plain.Key()]
	for _, m := range []method{e.mux, e.share} {
		v := med[m.Key()]
		results.addTarget(fmt.Sprintf("cold at 50 ms RTT: %s <= 1.1x plain ssh", doorName(m)),
			targetRatio(v, plain, 1.1), v <= 1.1*plain)
	}
}

// doorName is "mux door" or "ProxyCommand door", for the targets.
func doorName(m method) string {
	switch m.(type) {
	case muxMethod:
		return "mux door"
	case engineMethod:
		return "OpenSSH engine"
	}
	return "ProxyCommand door"
}

// connectTable reports the samples as a table and as metrics, and returns
// each method's median in milliseconds by key.
func (e *env) connectTable(s *connectSamples, title, note string) map[string]float64 {
	cm := msf(median(s.times[e.cm.Key()]))
	plain := msf(median(s.times[e.plain.Key()]))
	t := table{title: title, note: note,
		head: []string{"method", "median", "p90", "min", "logins", "vs ControlMaster", "vs plain ssh"}}
	medians := make(map[string]float64)
	for _, m := range e.methods {
		ts := s.times[m.Key()]
		med := msf(median(ts))
		medians[m.Key()] = med
		t.rows = append(t.rows, []string{m.Name(), ms(median(ts)), ms(percentile(ts, 90)), ms(percentile(ts, 0)),
			fmt.Sprint(s.logins[m.Key()]), ratio(med, cm), ratio(med, plain)})
		e.b.ReportMetric(med, m.Key()+"-ms")
		e.b.ReportMetric(msf(percentile(ts, 90)), m.Key()+"-p90-ms")
	}
	for _, m := range []method{e.mux, e.share} {
		e.b.ReportMetric(medians[m.Key()]/cm, m.Key()+"/controlmaster")
		e.b.ReportMetric(medians[m.Key()]/plain, m.Key()+"/plain")
	}
	e.b.ReportMetric(0, "ns/op")
	e.addTable(t)
	return medians
}

// burst is the outcome of one method's simultaneous cold starts.
type burst struct {
	wall       time.Duration
	ok, failed int            // exited 0, exited otherwise
	noisy      int            // wrote to stderr, whatever the exit
	logins     int            // seen by sshd
	errors     map[string]int // first stderr line -> count
}

func benchBurst(b *testing.B, rtt time.Duration) {
	e := newEnv(b, rtt, harness.SSHDOptions{})
	e.warmUp()
	t := table{
		title: fmt.Sprintf("%d simultaneous cold `ssh host true`, %s RTT", *burstSize, rttName(rtt)),
		note: "All started at once with no master up; wall is until the last one exited. sshd has its default " +
			"MaxStartups 10:30:100 and MaxSessions 10.",
		head: []string{"method", "wall", "exit 0", "failed", "wrote to stderr", "logins", "most common stderr line"},
	}
	doors := make(map[method]burst)
	for _, m := range e.methods {
		m.Stop()
		r := e.burst(m, *burstSize)
		m.Stop()
		if m == e.mux || m == e.share {
			doors[m] = r
		}
		t.rows = append(t.rows, []string{m.Name(), fmt.Sprintf("%.2f s", r.wall.Seconds()), fmt.Sprint(r.ok), fmt.Sprint(r.failed),
			fmt.Sprint(r.noisy), fmt.Sprint(r.logins), e.commonest(r.errors)})
		e.b.ReportMetric(msf(r.wall), m.Key()+"-wall-ms")
		e.b.ReportMetric(float64(r.logins), m.Key()+"-logins")
		e.b.ReportMetric(float64(r.failed), m.Key()+"-failures")
	}
	e.b.ReportMetric(0, "ns/op")
	e.addTable(t)
	for _, m := range []method{e.mux, e.share} {
		r := doors[m]
		results.addTarget(fmt.Sprintf("%d simultaneous cold starts: %s 1 login, 0 failures", *burstSize, doorName(m)),
			fmt.Sprintf("%s, %d failures", plural(r.logins, "login"), r.failed), r.logins == 1 && r.failed == 0)
	}
}

// burst starts n `ssh host true` for m at once and waits for them all.
func (e *env) burst(m method, n int) burst {
	before := e.sshd.Logins()
	start := time.Now()
	procs := make([]*started, n)
	for i := range procs {
		procs[i] = e.start(e.client.SSH(m.Host(), "true"), fmt.Sprintf("burst%d", i))
	}
	deadline := time.NewTimer(cmdTimeout)
	defer deadline.Stop()
	for _, p := range procs {
		select {
		case <-p.proc.Done():
		case <-deadline.C:
			e.b.Fatalf("%s: %d simultaneous ssh still running after %v", m.Name(), n, cmdTimeout)
		}
	}
	r := burst{wall: time.Since(start), errors: make(map[string]int)}
	for _, p := range procs {
		res := e.wait(p)
		if res.ok() {
			r.ok++
		} else {
			r.failed++
		}
		if res.stderr != "" {
			r.noisy++
			r.errors[firstLine(res.stderr)]++
		}
	}
	r.logins = e.sshd.Logins() - before
	return r
}

// plural is "1 login" or "5 logins".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// controlPathHash matches the %C hash in a ControlMaster message.
var controlPathHash = regexp.MustCompile(`cm-[0-9a-f]{40}`)

// firstLine is the first line of s, or "(none)".
func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	if line == "" {
		return "(no message)"
	}
	return line
}

// commonest returns the most frequent error and its count, or "-", with
// the scratch directory's path shortened.
func (e *env) commonest(errs map[string]int) string {
	if len(errs) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if errs[keys[i]] != errs[keys[j]] {
			return errs[keys[i]] > errs[keys[j]]
		}
		return keys[i] < keys[j]
	})
	msg := controlPathHash.ReplaceAllString(strings.ReplaceAll(keys[0], e.dir, "$TMP"), "cm-%C")
	if len(msg) > 70 {
		msg = msg[:67] + "..."
	}
	return fmt.Sprintf("%dx %s", errs[keys[0]], msg)
}
