//go:build linux

package bench

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// transfer is one bulk copy: a tool and a direction. cmd returns the
// client command moving file (on the local side or, for downloads, the
// remote side: both are this machine) for host; a download's data ends in
// /dev/null, an upload's in /dev/null on the server.
type transfer struct {
	name string
	key  string // for metric units
	cmd  func(e *env, host, file string) *exec.Cmd
}

var transfers = []transfer{
	{"cat download", "cat-down", func(e *env, host, file string) *exec.Cmd {
		cmd := e.client.SSH(host, "cat", file)
		cmd.Stdout = e.open(os.DevNull, os.O_WRONLY)
		return cmd
	}},
	{"cat upload", "cat-up", func(e *env, host, file string) *exec.Cmd {
		cmd := e.client.SSH(host, "cat > /dev/null")
		cmd.Stdin = e.open(file, os.O_RDONLY)
		return cmd
	}},
	{"scp download", "scp-down", func(e *env, host, file string) *exec.Cmd {
		return e.client.Command("scp", "-q", host+":"+file, os.DevNull)
	}},
	{"scp upload", "scp-up", func(e *env, host, file string) *exec.Cmd {
		return e.client.Command("scp", "-q", file, host+":/dev/null")
	}},
	{"sftp download", "sftp-down", func(e *env, host, file string) *exec.Cmd {
		return e.client.Command("sftp", "-q", "-b", e.batch("get", file), host)
	}},
	{"sftp upload", "sftp-up", func(e *env, host, file string) *exec.Cmd {
		return e.client.Command("sftp", "-q", "-b", e.batch("put", file), host)
	}},
}

// open opens a file for a child's stdin or stdout and closes it when the
// benchmark ends.
func (e *env) open(path string, flag int) *os.File {
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		e.b.Fatalf("open %s: %v", path, err)
	}
	e.b.Cleanup(func() { f.Close() })
	return f
}

// batch writes an sftp batch file that copies file to /dev/null with op
// (get or put).
func (e *env) batch(op, file string) string {
	path := filepath.Join(e.dir, op+".sftp")
	if err := os.WriteFile(path, []byte(op+" "+file+" /dev/null\n"), 0o600); err != nil {
		e.b.Fatalf("sftp batch: %v", err)
	}
	return path
}

// bulkFigures are one transfer's samples for one method.
type bulkFigures struct {
	mbps     []float64 // MB/s, MB = 10^6 bytes
	cpuPerGB []float64 // CPU seconds per GB (10^9 bytes)
}

func benchBulk(b *testing.B) {
	e := newEnv(b, 0, harness.SSHDOptions{})
	size := int64(*bulkMB) * 1e6
	file := e.randomFile(size)
	e.methods = []method{e.mux, e.share, newEngine(e, e.route), e.cm, e.plain}
	e.warmUp()
	served := e.muxServed()
	// From here on, sshshare invocations that ssh leaves behind are
	// adopted by this process, so their CPU time can be collected.
	if err := setSubreaper(true); err != nil {
		b.Fatalf("PR_SET_CHILD_SUBREAPER: %v", err)
	}
	b.Cleanup(func() { _ = setSubreaper(false) })
	figures := make(map[string]*bulkFigures)
	for round := range *bulkSamples {
		for _, tr := range transfers {
			for _, m := range e.ordered(round) {
				elapsed, cpu := e.measureTransfer(m, tr.cmd(e, m.Host(), file))
				k := tr.key + "/" + m.Key()
				if figures[k] == nil {
					figures[k] = &bulkFigures{}
				}
				figures[k].mbps = append(figures[k].mbps, float64(size)/1e6/elapsed.Seconds())
				figures[k].cpuPerGB = append(figures[k].cpuPerGB, cpu.Seconds()/(float64(size)/1e9))
			}
		}
	}
	e.requireMuxServed(served, *bulkSamples*len(transfers), "bulk transfers")
	e.stopAll()
	e.bulkTable(figures)
}

// bulkTable reports the bulk figures and the throughput targets.
func (e *env) bulkTable(figures map[string]*bulkFigures) {
	t := table{
		title: fmt.Sprintf("Bulk %d MB, 0 ms RTT: throughput and CPU", *bulkMB),
		note: fmt.Sprintf("Median of %d per transfer and method. CPU is user+system seconds per GB moved, "+
			"summed over the whole process tree: the client (ssh, scp or sftp and what it starts, "+
			"sshshare's invocation included), the method's master, and sshd with its children. "+
			"Target (issue 18): mux door >= 1.0x ControlMaster's throughput in every transfer.", *bulkSamples),
		head: []string{"transfer"},
	}
	for _, m := range e.methods {
		t.head = append(t.head, m.Name()+" MB/s")
	}
	var doors []method
	for _, m := range e.methods {
		switch m.(type) {
		case muxMethod, shareMethod, engineMethod:
			doors = append(doors, m)
		}
	}
	for _, m := range doors {
		t.head = append(t.head, doorName(m)+"/CM")
	}
	for _, m := range e.methods {
		t.head = append(t.head, m.Name()+" CPU s/GB")
	}
	worst := make(map[method]float64)
	worstName := make(map[method]string)
	for _, tr := range transfers {
		row := []string{tr.name}
		for _, m := range e.methods {
			v := median(figures[tr.key+"/"+m.Key()].mbps)
			row = append(row, fmt.Sprintf("%.0f", v))
			e.b.ReportMetric(v, m.Key()+"-"+tr.key+"-MB/s")
		}
		cm := median(figures[tr.key+"/"+e.cm.Key()].mbps)
		for _, m := range doors {
			door := median(figures[tr.key+"/"+m.Key()].mbps)
			row = append(row, ratio(door, cm))
			if r := door / cm; worstName[m] == "" || r < worst[m] {
				worst[m], worstName[m] = r, tr.name
			}
		}
		for _, m := range e.methods {
			v := median(figures[tr.key+"/"+m.Key()].cpuPerGB)
			row = append(row, fmt.Sprintf("%.2f", v))
			e.b.ReportMetric(v, m.Key()+"-"+tr.key+"-cpu-s/GB")
		}
		t.rows = append(t.rows, row)
	}
	e.b.ReportMetric(0, "ns/op")
	e.addTable(t)
	results.addTarget("bulk throughput: mux door >= 1.0x ControlMaster, every transfer (issue 18)",
		fmt.Sprintf("lowest %s (%s)", targetRatio(worst[e.mux], 1, 1), worstName[e.mux]), worst[e.mux] >= 1)
	results.addTarget("bulk throughput: ProxyCommand door >= 0.7x ControlMaster, every transfer (issue 7)",
		fmt.Sprintf("lowest %s (%s)", targetRatio(worst[e.share], 1, 0.7), worstName[e.share]), worst[e.share] >= 0.7)
}

// randomFile writes size random bytes to a file in e.dir: incompressible,
// and cheap to make with ChaCha8.
func (e *env) randomFile(size int64) string {
	path := filepath.Join(e.dir, "bulk.bin")
	f, err := os.Create(path)
	if err != nil {
		e.b.Fatalf("bulk file: %v", err)
	}
	rng := rand.NewChaCha8([32]byte{'s', 's', 'h', 's', 'h', 'a', 'r', 'e'})
	buf := make([]byte, 1<<20)
	for left := size; left > 0; left -= int64(len(buf)) {
		n := min(left, int64(len(buf)))
		_, _ = rng.Read(buf[:n])
		if _, err := f.Write(buf[:n]); err != nil {
			e.b.Fatalf("bulk file: %v", err)
		}
	}
	if err := f.Close(); err != nil {
		e.b.Fatalf("bulk file: %v", err)
	}
	return path
}

// measureTransfer runs one bulk transfer for m and returns its wall time
// and the CPU time of the whole process tree: the client and whatever it
// started (sshshare invocations are orphaned when ssh exits and adopted
// by this process, a subreaper), plus the growth of the sshd and master
// trees.
func (e *env) measureTransfer(m method, cmd *exec.Cmd) (time.Duration, time.Duration) {
	e.b.Helper()
	roots := append([]int{e.sshd.Proc.Pid()}, m.Masters()...)
	before, beforeSet := stableTreeCPU(roots, nil)
	s := e.start(cmd, "bulk")
	below := make(map[int]bool)
	tick := time.NewTicker(20 * time.Millisecond)
poll:
	for {
		select {
		case <-s.proc.Done():
			break poll
		case <-tick.C:
			for _, pid := range descendants(s.proc.Pid()) {
				below[pid] = true
			}
		}
	}
	tick.Stop()
	r := e.wait(s)
	if !r.ok() {
		e.b.Fatalf("%s: %s: %s", m.Name(), cmd, r)
	}
	cpu := r.cpu
	for pid := range below {
		c, ok, err := reapAdopted(pid, 5*time.Second)
		if errors.Is(err, errNotChild) {
			continue // its parent reaped it, so r.cpu has it
		}
		if err != nil || !ok {
			e.b.Logf("%s: process %d below %s outlived it by 5s (killed): %v", m.Name(), pid, cmd.Path, err)
		}
		cpu += c
	}
	// Once the trees hold what they held before (sshd has reaped the
	// connection's or session's processes), all their time is counted.
	after, _ := stableTreeCPU(roots, beforeSet)
	return r.elapsed, cpu + after - before
}

// stableTreeCPU reads treeCPU until two readings in a row see the same
// processes, and, if want is set, those of want, waiting at most 2 s, and
// returns the second. One reading is not a snapshot: a process reaped
// while /proc is being walked can be missed both as itself and in its
// parent's cutime (read before the reap), and its time lost.
func stableTreeCPU(roots []int, want map[int]bool) (time.Duration, map[int]bool) {
	deadline := time.Now().Add(2 * time.Second)
	_, prev := treeCPU(roots...)
	for {
		cpu, set := treeCPU(roots...)
		settled := sameSet(set, prev) && (want == nil || sameSet(set, want))
		if settled || time.Now().After(deadline) {
			return cpu, set
		}
		prev = set
		time.Sleep(5 * time.Millisecond)
	}
}

func sameSet(a, b map[int]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}
