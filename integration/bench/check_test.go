//go:build linux

package bench

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// benchMuxCheck times `ssh -O check host`, the mux door against
// ControlMaster, interleaved, on a direct connection: ssh connects to the
// ControlPath socket, exchanges hellos and asks whether the master is
// alive. The ProxyCommand door has no socket for ssh to ask, and plain
// ssh no master.
func benchMuxCheck(b *testing.B) {
	e := newEnv(b, 0, harness.SSHDOptions{})
	e.methods = []method{e.mux, e.cm}
	e.warmUp()
	times := make(map[string][]time.Duration)
	for round := range *warmSamples {
		for _, m := range e.ordered(round) {
			r := e.time(e.client.SSH("-O", "check", m.Host()))
			e.requireCheckAnswer(m, r)
			times[m.Key()] = append(times[m.Key()], r.elapsed)
		}
	}
	e.stopAll()
	cm := msf(median(times[e.cm.Key()]))
	t := table{
		title: "`ssh -O check host`, 0 ms RTT",
		note: fmt.Sprintf("%d samples per method, interleaved, with the master up. The ProxyCommand door "+
			"has no control socket for ssh to ask, and plain ssh no master.", *warmSamples),
		head: []string{"method", "median", "p90", "min", "vs ControlMaster"},
	}
	for _, m := range e.methods {
		ts := times[m.Key()]
		t.rows = append(t.rows, []string{m.Name(), ms(median(ts)), ms(percentile(ts, 90)), ms(percentile(ts, 0)),
			ratio(msf(median(ts)), cm)})
		e.b.ReportMetric(msf(median(ts)), m.Key()+"-check-ms")
	}
	e.b.ReportMetric(0, "ns/op")
	e.addTable(t)
}

// requireCheckAnswer fails the benchmark unless ssh -O check for m exited
// 0 naming m's one master, so that a check answered by nobody (ssh exits
// 255 when no socket is there) is never timed as one.
func (e *env) requireCheckAnswer(m method, r run) {
	e.b.Helper()
	match := masterPid.FindStringSubmatch(r.stderr)
	if !r.ok() || match == nil {
		e.b.Fatalf("%s: ssh -O check %s: %s", m.Name(), m.Host(), r)
	}
	pid, _ := strconv.Atoi(match[1])
	if masters := m.Masters(); len(masters) != 1 || masters[0] != pid {
		e.b.Fatalf("%s: ssh -O check %s named pid %d; the method's masters are %v", m.Name(), m.Host(), pid, masters)
	}
}
