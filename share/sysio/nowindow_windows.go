package sysio

import (
	"os/exec"
	"syscall"

	"golang.org/x/sys/windows"
)

// NoWindow makes cmd start without a console window of its own. A
// detached master has no console, so Windows would open a new one for
// every console program it starts (ssh -G, ssh-keygen, a ProxyCommand
// route): a window flashing up each time, and under Wine about ten
// seconds of the first connection.
func NoWindow(cmd *exec.Cmd) *exec.Cmd {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.CreationFlags |= windows.CREATE_NO_WINDOW
	return cmd
}
