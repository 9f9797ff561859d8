//go:build unix

package invoke

import (
	"os/exec"
	"syscall"
)

// detach puts the master in a session of its own, away from the terminal
// and process group of the ssh that started it.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}
