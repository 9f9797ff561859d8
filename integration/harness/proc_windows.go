//go:build windows

package harness

import (
	"os"
	"os/exec"
)

// setProcessGroup does nothing on Windows; killTree kills only the process.
func setProcessGroup(cmd *exec.Cmd) {}

func groupAlive(p *os.Process) bool { return false }

func killTree(p *os.Process, walk bool) []int {
	_ = p.Kill()
	return nil
}

func alivePids(pids []int) []int { return nil }

// killPid kills one process.
func killPid(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Kill()
	}
}
