//go:build unix

package sysio

import (
	"os"

	"golang.org/x/sys/unix"
)

// noCoreDumps sets the core file size limit to 0, soft and hard.
func noCoreDumps() error {
	return unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0})
}

// RedirectStderr makes f the process's standard error (descriptor 2): what
// the runtime prints on a crash (a panic, a fatal error, SIGQUIT's stack
// dump) and anything else written there then lands in f.
func RedirectStderr(f *os.File) error {
	return unix.Dup2(int(f.Fd()), 2)
}
