package upstream

import "syscall"

// engineProcAttr: Windows keeps the Go engine (chooseEngine refuses the
// OpenSSH one), so no engine ssh runs here.
func engineProcAttr() *syscall.SysProcAttr { return nil }

// signal ends the engine ssh.
func (e *engine) signal() error { return e.cmd.Process.Kill() }
