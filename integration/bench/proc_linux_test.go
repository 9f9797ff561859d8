//go:build linux

package bench

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is Linux's USER_HZ, the unit of the times in /proc/PID/stat;
// it is 100 on every architecture Go supports.
const clockTick = 10 * time.Millisecond

// procStat is the part of /proc/PID/stat the benchmarks use.
type procStat struct {
	pid, ppid, pgid int
	state           byte
	// cpu is user plus system time of the process and of the children it
	// has reaped (utime+stime+cutime+cstime).
	cpu time.Duration
}

// readStat parses /proc/PID/stat: "pid (comm) state ppid pgrp ...", where
// comm may hold spaces and parentheses.
func readStat(pid int) (procStat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 || len(f[0]) != 1 {
		return procStat{}, false
	}
	s := procStat{pid: pid, state: f[0][0]}
	s.ppid, _ = strconv.Atoi(f[1])
	s.pgid, _ = strconv.Atoi(f[2])
	var ticks int64
	for _, field := range f[11:15] { // utime stime cutime cstime
		n, _ := strconv.ParseInt(field, 10, 64)
		ticks += n
	}
	s.cpu = time.Duration(ticks) * clockTick
	return s, true
}

// allStats reads every process in /proc.
func allStats() map[int]procStat {
	entries, _ := os.ReadDir("/proc")
	out := make(map[int]procStat, len(entries))
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if s, ok := readStat(pid); ok {
			out[pid] = s
		}
	}
	return out
}

// treeCPU returns the CPU time of the processes rooted at roots and of
// all their descendants, live ones by their own figures and finished ones
// through the cutime/cstime of whoever reaped them, plus the set of pids
// it counted. The difference of two readings is what the trees spent in
// between, as long as nothing in them was orphaned meanwhile.
func treeCPU(roots ...int) (time.Duration, map[int]bool) {
	all := allStats()
	children := make(map[int][]int)
	for pid, s := range all {
		children[s.ppid] = append(children[s.ppid], pid)
	}
	seen := make(map[int]bool)
	queue := append([]int(nil), roots...)
	var total time.Duration
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		s, ok := all[pid]
		if !ok || seen[pid] {
			continue
		}
		seen[pid] = true
		total += s.cpu
		queue = append(queue, children[pid]...)
	}
	return total, seen
}

// children lists the children of pid from /proc/PID/task/PID/children.
func children(pid int) []int {
	p := strconv.Itoa(pid)
	b, err := os.ReadFile("/proc/" + p + "/task/" + p + "/children")
	if err != nil {
		return nil
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// descendants lists every process below pid now.
func descendants(pid int) []int {
	var out []int
	queue := children(pid)
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		out = append(out, c)
		queue = append(queue, children(c)...)
	}
	return out
}

// alive reports whether pid runs and is not a zombie.
func alive(pid int) bool {
	s, ok := readStat(pid)
	return ok && s.state != 'Z' && s.state != 'X'
}

// waitGone polls until pid no longer runs (a zombie counts as gone).
func waitGone(pid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for alive(pid) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// rss returns the resident set size of pid in bytes, 0 if it is gone.
func rss(pid int) int64 { return kbField("/proc/"+strconv.Itoa(pid)+"/status", "VmRSS:") }

// pss returns the proportional set size of pid in bytes: its resident
// pages, each shared one divided among its sharers, so that the figures
// of many processes add up to the memory they use together.
func pss(pid int) int64 { return kbField("/proc/"+strconv.Itoa(pid)+"/smaps_rollup", "Pss:") }

// kbField reads a "Name:   123 kB" line of a /proc file, in bytes.
func kbField(path, name string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, name); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// procsMentioning returns the live processes whose command line contains
// s. The benchmark clients, ControlMaster masters and sshshare processes
// all carry the client's HOME in theirs (-F HOME/.ssh/config).
func procsMentioning(s string) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && bytes.Contains(b, []byte(s)) && alive(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// prSetChildSubreaper is PR_SET_CHILD_SUBREAPER from <linux/prctl.h>.
const prSetChildSubreaper = 36

// setSubreaper makes this process adopt its orphaned descendants (on) or
// stop adopting new ones (off). The bulk benchmark uses it to collect the
// CPU time of sshshare invocations, which ssh leaves unreaped when it
// exits.
func setSubreaper(on bool) error {
	v := uintptr(0)
	if on {
		v = 1
	}
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, v, 0); errno != 0 {
		return errno
	}
	return nil
}

// errNotChild means reapAdopted's pid was reaped by its own parent.
var errNotChild = errors.New("not a child of this process")

// reapAdopted waits up to timeout for pid, an orphan this process adopted
// as subreaper, to exit, reaps it and returns its CPU time with that of
// everything it reaped. If it is still running at the deadline it is
// killed, and ok is false.
func reapAdopted(pid int, timeout time.Duration) (cpu time.Duration, ok bool, err error) {
	deadline := time.Now().Add(timeout)
	ok = true
	for {
		var ws syscall.WaitStatus
		var ru syscall.Rusage
		got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, &ru)
		switch {
		case errors.Is(err, syscall.ECHILD):
			return 0, true, errNotChild
		case errors.Is(err, syscall.EINTR):
			continue
		case err != nil:
			return 0, false, err
		case got == pid:
			return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), ok, nil
		}
		if time.Now().After(deadline) && ok {
			ok = false
			_ = syscall.Kill(pid, syscall.SIGKILL)
			deadline = time.Now().Add(5 * time.Second)
		} else if time.Now().After(deadline) {
			return 0, false, errors.New("not reaped 5s after SIGKILL")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rusageCPU is user plus system time from a finished process's rusage,
// which covers the children it reaped.
func rusageCPU(sys any) time.Duration {
	ru, ok := sys.(*syscall.Rusage)
	if !ok || ru == nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
