//go:build unix && !linux

package upstream

import "syscall"

// engineProcAttr puts the engine ssh in a process group of its own, so a
// signal to the master's group (a terminal's) reaches only the master,
// which ends it. This system has no parent-death signal: a master killed
// with SIGKILL leaves its engine ssh running until its server connection
// ends.
func engineProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// signal asks the engine ssh to exit.
func (e *engine) signal() error { return e.cmd.Process.Signal(syscall.SIGTERM) }
