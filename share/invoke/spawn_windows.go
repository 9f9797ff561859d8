//go:build windows

package invoke

import (
	"os/exec"
	"syscall"

	"golang.org/x/sys/windows"
)

// detach starts the master without a console of its own, outside the
// caller's process group.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{
		CreationFlags: windows.DETACHED_PROCESS | windows.CREATE_NEW_PROCESS_GROUP,
	}
}
