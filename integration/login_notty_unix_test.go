//go:build unix

package integration

import (
	"os/exec"
	"syscall"
)

// loginNoTTY makes cmd run without a controlling terminal (a new session) and
// with stdin from /dev/null, as in a script or cron job: ssh cannot open
// /dev/tty and must use askpass, or fail.
func loginNoTTY(cmd *exec.Cmd) *exec.Cmd {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Stdin = nil
	return cmd
}
