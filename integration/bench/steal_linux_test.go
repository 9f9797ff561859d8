//go:build linux

package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// On a virtual machine the hypervisor may run other guests on this one's
// CPUs; the time it takes is "steal" in /proc/stat. It slows every method,
// but not alike: a method that hands work between more processes waits on
// more wake-ups. The report gives the steal of each table's samples, so a
// reader can tell a quiet run from a disturbed one.

// cpuTimes is the machine's CPU time so far, all CPUs, in clock ticks.
type cpuTimes struct {
	total, steal uint64
	ok           bool
}

// readCPUTimes reads /proc/stat.
func readCPUTimes() cpuTimes {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return parseCPUTimes(line)
}

// parseCPUTimes parses /proc/stat's "cpu" line: user nice system idle
// iowait irq softirq steal guest guest_nice. Guest time is already counted
// in user and nice, so the total is of the first eight.
func parseCPUTimes(line string) cpuTimes {
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return cpuTimes{}
	}
	t := cpuTimes{ok: true}
	for i, s := range f[1:9] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return cpuTimes{}
		}
		t.total += v
		if i == 7 {
			t.steal = v
		}
	}
	return t
}

// stolenSince returns the share of the machine's CPU time the hypervisor
// took since start, and whether it could be measured.
func stolenSince(start cpuTimes) (float64, bool) {
	now := readCPUTimes()
	if !start.ok || !now.ok || now.total <= start.total {
		return 0, false
	}
	return float64(now.steal-start.steal) / float64(now.total-start.total), true
}

// stealNote is the sentence a table's note ends with: "The hypervisor took
// 0.4% of the CPU time (steal) meanwhile.", or "" where /proc/stat is not
// readable.
func stealNote(start cpuTimes) string {
	f, ok := stolenSince(start)
	if !ok {
		return ""
	}
	return fmt.Sprintf("The hypervisor took %.1f%% of the machine's CPU time (steal) meanwhile.", 100*f)
}

// addTable adds t to the report, its note ending with the steal since the
// benchmark's environment was set up.
func (e *env) addTable(t table) {
	if s := stealNote(e.cpu); s != "" {
		t.note = strings.TrimSpace(t.note + " " + s)
	}
	results.addTable(t)
}

func TestParseCPUTimes(t *testing.T) {
	for _, c := range []struct {
		line         string
		total, steal uint64
		ok           bool
	}{
		{"cpu  1210777 0 1039567 3146064 16960 0 34881 125497 7 9", 5573746, 125497, true},
		{"cpu  10 20 30 40", 0, 0, false},          // an old kernel without steal
		{"cpu0 1 2 3 4 5 6 7 8 9 10", 0, 0, false}, // not the all-CPU line
		{"cpu  1 2 3 4 5 6 7 x", 0, 0, false},
	} {
		got := parseCPUTimes(c.line)
		if got != (cpuTimes{c.total, c.steal, c.ok}) {
			t.Errorf("parseCPUTimes(%q) = %+v, want total %d steal %d ok %v", c.line, got, c.total, c.steal, c.ok)
		}
	}
	if now := readCPUTimes(); !now.ok || now.steal > now.total {
		t.Errorf("readCPUTimes() = %+v, want a total with steal within it", now)
	}
}
