package upstream

import "syscall"

// engineProcAttr puts the engine ssh in a process group of its own, so a
// signal to the master's group (a terminal's) reaches only the master,
// which ends it; and has the kernel send it SIGTERM when the master dies,
// however it dies, so no engine ssh outlives its master. (The signal
// follows the thread that started it: Go keeps its threads, except one
// locked by a goroutine that exits, and the master locks none.)
func engineProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// signal asks the engine ssh to exit.
func (e *engine) signal() error { return e.cmd.Process.Signal(syscall.SIGTERM) }
