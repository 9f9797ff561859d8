//go:build linux

package bench

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// megabytes formats a byte count in MB (10^6 bytes), the unit of the
// targets.
func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

// rssFigures is one method's memory figures.
type rssFigures struct {
	idle, busy int64 // the master's RSS
	clientSide int64 // PSS of every process of the client, master included, with the sessions open
	opened     int
	upstreams  string
}

func benchRSS(b *testing.B) {
	n := *sessions
	// MaxSessions above n, so that both masters can hold every session on
	// one connection; with sshd's default of 10, ControlMaster refuses the
	// 11th session and sshshare opens pooled connections.
	e := newEnv(b, 0, harness.SSHDOptions{MaxSessions: n + 10})
	e.warmUp()
	// Each method's figures are taken with no other master up: the
	// client-side figure counts every process of the client.
	e.stopAll()
	t := table{
		title: fmt.Sprintf("Master memory (RSS), idle and with %d sessions", n),
		note: fmt.Sprintf("Direct connection; sshd MaxSessions %d. Idle is after one `ssh host true` has ended; "+
			"the sessions are %d concurrent `ssh host 'echo ready; exec cat'`, measured once all have printed ready. "+
			"\"all client processes\" is the PSS (shared pages divided among their sharers) of every ssh, "+
			"sshshare invocation and master of the client then. "+
			"MB are 10^6 bytes. Target (issue 18): the mux door's client processes <= ControlMaster's + 20 MB.", n+10, n),
		head: []string{"method", "master idle", fmt.Sprintf("master, %d sessions", n), "sessions open",
			"upstream connections", "all client processes (PSS)"},
	}
	figures := make(map[method]rssFigures)
	for _, m := range []method{e.mux, e.share, e.cm} {
		f := e.masterRSS(m, n)
		figures[m] = f
		t.rows = append(t.rows, []string{m.Name(), megabytes(f.idle), megabytes(f.busy),
			fmt.Sprint(f.opened), f.upstreams, megabytes(f.clientSide)})
		e.b.ReportMetric(float64(f.idle)/1e6, m.Key()+"-idle-MB")
		e.b.ReportMetric(float64(f.busy)/1e6, m.Key()+"-busy-MB")
	}
	t.rows = append(t.rows, []string{"plain ssh", "-", "-", "-", "-", "-"})
	e.b.ReportMetric(0, "ns/op")
	e.addTable(t)
	mux, share, cm := figures[e.mux], figures[e.share], figures[e.cm]
	results.addTarget(fmt.Sprintf("client-side memory with %d sessions: mux door <= ControlMaster's + 20 MB (issue 18)", n),
		fmt.Sprintf("%s against %s (%+.1f MB)", megabytes(mux.clientSide), megabytes(cm.clientSide),
			float64(mux.clientSide-cm.clientSide)/1e6),
		mux.clientSide <= cm.clientSide+20e6 && mux.opened == n)
	results.addTarget("master RSS idle: sshshare <= 15 MB (issue 7)", megabytes(share.idle), share.idle <= 15e6)
	results.addTarget(fmt.Sprintf("master RSS with %d sessions: sshshare (ProxyCommand door) <= 40 MB (issue 7)", n),
		megabytes(share.busy), share.busy <= 40e6 && share.opened == n)
}

// masterRSS measures m's master idle, then with n sessions open.
func (e *env) masterRSS(m method, n int) rssFigures {
	e.b.Helper()
	e.ssh(m, "true")
	pids := m.Masters()
	if len(pids) != 1 {
		e.b.Fatalf("%s: masters %v after ssh; want one", m.Name(), pids)
	}
	master := pids[0]
	if m == e.mux {
		e.requireMuxDoor()
	}
	e.waitIdle(m)
	served := e.muxServed()
	f := rssFigures{idle: rss(master), upstreams: "1"}

	// One pipe is every session's stdin: closing its write end ends them all.
	stdin, release, err := os.Pipe()
	if err != nil {
		e.b.Fatalf("pipe: %v", err)
	}
	defer stdin.Close()
	defer release.Close()
	procs := make([]*started, n)
	for i := range procs {
		cmd := e.client.SSH(m.Host(), "echo ready; exec cat")
		cmd.Stdin = stdin
		procs[i] = e.start(cmd, fmt.Sprintf("session%d", i))
	}
	f.opened = e.waitReady(m, procs)
	f.busy = rss(master)
	for _, pid := range procsMentioning(e.client.Home) {
		f.clientSide += pss(pid)
	}
	if m == e.mux {
		e.requireMuxServed(served, f.opened, fmt.Sprintf("%d sessions", n))
	}
	if s, ok := m.(statuser); ok {
		for _, s := range s.statuses() {
			f.upstreams = fmt.Sprint(s.Upstreams)
		}
	}
	release.Close()
	for _, p := range procs {
		if r := e.wait(p); !r.ok() && f.opened == n {
			e.b.Logf("%s: session ended badly: %s", m.Name(), r)
		}
	}
	m.Stop()
	return f
}

// waitIdle waits until m's master has no client left (sshshare counts
// them; a ControlMaster client is gone when ssh has exited).
func (e *env) waitIdle(m method) {
	s, ok := m.(statuser)
	if !ok {
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ms := s.statuses()
		if len(ms) == 1 && ms[0].Clients == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.b.Fatalf("sshshare master still has clients 10s after the last ssh exited: %+v", ms)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitReady waits until every session has printed ready, or one has
// ended, or a minute has passed, and returns how many are ready.
func (e *env) waitReady(m method, procs []*started) int {
	deadline := time.Now().Add(time.Minute)
	for {
		ready, ended := 0, 0
		for _, p := range procs {
			b, _ := os.ReadFile(p.outPath)
			if strings.HasPrefix(string(b), "ready") {
				ready++
			} else if p.proc.Exited() {
				ended++
			}
		}
		if ready+ended == len(procs) || time.Now().After(deadline) {
			if ready < len(procs) {
				e.b.Logf("%s: %d of %d sessions open, %d ended early", m.Name(), ready, len(procs), ended)
			}
			return ready
		}
		time.Sleep(50 * time.Millisecond)
	}
}
