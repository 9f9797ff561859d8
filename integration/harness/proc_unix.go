//go:build unix

package harness

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// setProcessGroup makes cmd the leader of a new process group, so that
// killing the group also kills what it forked. A command that asks for its
// own session (Setsid, as for a pty) leads a new group already, and
// setpgid would fail on it.
func setProcessGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	if !cmd.SysProcAttr.Setsid {
		cmd.SysProcAttr.Setpgid = true
	}
}

// groupAlive reports whether any process is left in p's process group.
func groupAlive(p *os.Process) bool {
	return syscall.Kill(-p.Pid, 0) == nil
}

// killTree SIGKILLs p's process group. If walk is set (p has not been
// reaped, so its pid still names it), it first kills every descendant it
// can find in /proc, including those that left the group (sshd's
// per-connection children start their own session), deepest first. It
// returns their pids, which the caller cannot reap itself.
func killTree(p *os.Process, walk bool) []int {
	pgid := p.Pid
	var killed []int
	if walk {
		killed = killDescendants(pgid)
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	return killed
}

// killDescendants freezes root's group and every process below root with
// SIGSTOP, rescanning until no new one appears, so nothing forks between
// the scan and the kill. Then it kills them a generation at a time,
// deepest first, letting the parents run to reap them: an orphan goes to
// init, and in containers whose PID 1 does not reap it would stay a zombie.
func killDescendants(root int) []int {
	_ = syscall.Kill(-root, syscall.SIGSTOP)
	depth := make(map[int]int)
	for range 10 {
		found := false
		for pid, d := range descendants(root) {
			if _, ok := depth[pid]; !ok {
				depth[pid] = d
				found = true
				_ = syscall.Kill(pid, syscall.SIGSTOP)
			}
		}
		if !found {
			break
		}
	}
	maxDepth := 0
	for _, d := range depth {
		maxDepth = max(maxDepth, d)
	}
	var all []int
	for d := maxDepth; d >= 1; d-- {
		var generation []int
		for pid, pd := range depth {
			if pd == d {
				generation = append(generation, pid)
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		_ = syscall.Kill(-root, syscall.SIGCONT)
		for pid, pd := range depth {
			if pd < d {
				_ = syscall.Kill(pid, syscall.SIGCONT)
			}
		}
		waitGone(generation, time.Second)
		all = append(all, generation...)
	}
	return all
}

// waitGone waits until none of pids is in /proc, zombies included, so
// that their parents have reaped them, or until timeout.
func waitGone(pids []int, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		left := false
		for _, pid := range pids {
			if _, _, ok := procStat(pid); ok {
				left = true
				break
			}
		}
		if !left {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// descendants maps each process below root to its depth (1 for
// children), from /proc. Where there is no /proc (macOS, BSD) it returns
// nil and only the group is killed.
func descendants(root int) map[int]int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := make(map[int][]int)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if _, ppid, ok := procStat(pid); ok {
			children[ppid] = append(children[ppid], pid)
		}
	}
	out := make(map[int]int)
	queue := []int{root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		for _, c := range children[pid] {
			if _, seen := out[c]; !seen && c != root {
				out[c] = out[pid] + 1 // out[root] is 0
				queue = append(queue, c)
			}
		}
	}
	return out
}

// alivePids returns the pids that still exist and are not zombies.
func alivePids(pids []int) []int {
	var alive []int
	for _, pid := range pids {
		if state, _, ok := procStat(pid); ok && state != 'Z' && state != 'X' {
			alive = append(alive, pid)
		}
	}
	return alive
}

// procStat reads a process's state and parent from /proc/PID/stat:
// "pid (comm) state ppid ...", where comm may contain spaces and parens.
func procStat(pid int) (state byte, ppid int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	fields := bytes.Fields(b[i+1:])
	if len(fields) < 2 || len(fields[0]) != 1 {
		return 0, 0, false
	}
	ppid, err = strconv.Atoi(string(fields[1]))
	if err != nil {
		return 0, 0, false
	}
	return fields[0][0], ppid, true
}

// killPid sends SIGKILL to one process.
func killPid(pid int) { syscall.Kill(pid, syscall.SIGKILL) }
