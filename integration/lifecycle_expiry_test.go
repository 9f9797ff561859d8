package integration

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// Expiry race. Each worker is a client with its own HOME, so its own
// master with a 1 s persist window. It runs `ssh h true`, sleeps a gap
// after that ssh ended, and runs the next. Where the master expires
// relative to the end of an ssh depends on how fast the machine starts
// ssh and the proxy, so the gap is a staircase that finds the boundary: a
// base that shrinks when a run found its master expired and grows when it
// found it alive, plus an offset that sweeps a window in small steps. Runs
// land just before, at and just after the expiry, half of them on each
// side.
const (
	expiryPersist = time.Second
	expiryWorkers = 4
	expiryRuns    = 200 // in all, split between the workers
	expiryStair   = 5 * time.Millisecond
	expiryStep    = 10 * time.Millisecond
	expiryOffsets = 11               // offsets from -50 ms to +50 ms
	expiryHang    = 20 * time.Second // an ssh still running then has hung
	// expiryBudget is what the sweep should take on a 2-CPU machine
	// without -race; it is logged, not enforced (under -race the sshshare
	// processes are CPU-bound and it takes about twice as long).
	expiryBudget = 90 * time.Second
)

// expiryRun is one `ssh h true` of the expiry race.
type expiryRun struct {
	gap    time.Duration // sleep after the previous ssh ended
	offset time.Duration // gap minus the worker's boundary estimate
	res    harness.Result
	fresh  bool   // a new master logged in for it
	hung   bool   // killed after expiryHang
	logs   string // the worker's master logs, kept on failure
}

// TestLifecycleExpiryRace: with --persist 1s, 200 `ssh h true` spaced
// around the expiry boundary all succeed: a client that arrives while the
// master expires is served, or gets a fresh master, never an error.
func TestLifecycleExpiryRace(t *testing.T) {
	sshd := harness.StartSSHD(t, harness.SSHDOptions{})
	var clients [expiryWorkers]*lifecycle
	var runs [expiryWorkers][]expiryRun
	var bases [expiryWorkers]time.Duration
	for w := range clients {
		clients[w] = newLifecycleClient(t, sshd, expiryPersist)
	}
	start := time.Now()
	// Goroutines, not parallel subtests: go test runs only GOMAXPROCS of
	// those at once, and the sweep's sleeps need no CPU.
	var wg sync.WaitGroup
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bases[w] = expiryWorker(workerTB{t}, clients[w], w, &runs[w])
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	failures, total, fresh, masters := 0, 0, 0, 0
	var coldTimes, warmTimes, gaps []time.Duration
	byOffset := make(map[time.Duration][2]int) // offset -> {fresh, runs}
	for w := range clients {
		masters += clients[w].mastersStarted()
		for i, r := range runs[w] {
			total++
			if r.hung || r.res.Code != 0 {
				failures++
				t.Errorf("worker %d run %d after a %v gap (hung: %t): %s; want exit 0\nmaster logs then:\n%s",
					w, i, r.gap, r.hung, r.res, r.logs)
			}
			if r.fresh {
				fresh++
				coldTimes = append(coldTimes, r.res.Elapsed)
			} else {
				warmTimes = append(warmTimes, r.res.Elapsed)
			}
			if i == 0 {
				continue // cold: no previous master to race
			}
			gaps = append(gaps, r.gap)
			n := byOffset[r.offset]
			n[1]++
			if r.fresh {
				n[0]++
			}
			byOffset[r.offset] = n
		}
	}
	if total != expiryRuns {
		t.Errorf("ran %d ssh; want %d", total, expiryRuns)
	}
	t.Logf("expiry race: %d ssh in %v (budget %v), %d failures; %d masters started (sshd logins %d), %d runs found theirs expired",
		total, elapsed.Round(time.Millisecond), expiryBudget, failures, masters, sshd.Logins(), fresh)
	if len(gaps) > 0 {
		t.Logf("gaps %v to %v; boundary estimate per worker %s", slices.Min(gaps), slices.Max(gaps), roundAll(bases[:]))
	}
	t.Logf("ssh true: median %v with a fresh master (%d runs), %v on a live one (%d runs)",
		medianDuration(coldTimes).Round(time.Millisecond), len(coldTimes),
		medianDuration(warmTimes).Round(time.Millisecond), len(warmTimes))
	t.Logf("found the master expired, by gap minus boundary estimate (fresh/runs):%s", offsetTable(byOffset))
}

// expiryWorker runs its share of the expiry race on l and returns its
// final boundary estimate. Worker w starts the offset sweep at its own
// place so the workers interleave. It appends each run to runs as it
// ends, so a worker that fails half way still reports what it ran.
func expiryWorker(tb harness.TB, l *lifecycle, w int, runs *[]expiryRun) time.Duration {
	base := expiryPersist - 50*time.Millisecond
	for i := range expiryRuns / expiryWorkers {
		var r expiryRun
		if i > 0 {
			r.offset = time.Duration((i+w*3)%expiryOffsets-expiryOffsets/2) * expiryStep
			r.gap = base + r.offset
			time.Sleep(r.gap) // the scenario: arrive around the expiry
		}
		before := l.mastersStarted()
		r.res, r.hung = l.sshWithin(tb, expiryHang, "true")
		r.fresh = l.mastersStarted() > before
		if r.hung || r.res.Code != 0 {
			r.logs = l.logs()
		}
		*runs = append(*runs, r)
		if i > 0 {
			if r.fresh {
				base -= expiryStair
			} else {
				base += expiryStair
			}
		}
	}
	return base
}

// offsetTable formats fresh/runs counts by offset, in offset order.
func offsetTable(m map[time.Duration][2]int) string {
	var b strings.Builder
	for k := range expiryOffsets {
		off := time.Duration(k-expiryOffsets/2) * expiryStep
		if n, ok := m[off]; ok {
			fmt.Fprintf(&b, " %+dms:%d/%d", off.Milliseconds(), n[0], n[1])
		}
	}
	return b.String()
}

// exitSlack is how much earlier than ssh's exit, as the test sees it, the
// master may see its client leave: the proxy's connection closes, then
// ssh and the proxy exit and are reaped, which on a loaded machine takes
// tens of milliseconds.
const exitSlack = 100 * time.Millisecond

// TestLifecyclePersist3s: with --persist 3s the master is gone 3 to 4 s
// after its last client left (less exitSlack: the test sees ssh exit a
// moment after the master sees it leave).
func TestLifecyclePersist3s(t *testing.T) {
	const persist = 3 * time.Second
	l := newLifecycle(t, persist)
	var delays []time.Duration
	for trial := range 2 {
		ssh := harness.Start(t, l.c.SSH(lifecycleHost, "true"))
		timer := time.NewTimer(sshTimeout)
		select {
		case <-ssh.Done():
		case <-timer.C:
			t.Fatalf("trial %d: ssh %s true still running after %v\nstderr:\n%s", trial, lifecycleHost, sshTimeout, ssh.Stderr())
		}
		timer.Stop()
		left := time.Now()
		if code := ssh.ExitCode(); code != 0 {
			t.Fatalf("trial %d: ssh %s true: exit %d; want 0\nstderr:\n%s", trial, lifecycleHost, code, ssh.Stderr())
		}
		m := l.master(t)
		delay := l.waitGone(t, m.Pid, left, persist+5*time.Second)
		delays = append(delays, delay)
		if delay < persist-exitSlack || delay > persist+time.Second {
			t.Errorf("trial %d: master gone %v after its last client left; want 3s to 4s\nlogs:\n%s",
				trial, delay.Round(time.Millisecond), l.logs())
		}
	}
	t.Logf("--persist 3s: master gone after %s", roundAll(delays))
}
