package sysio

import "golang.org/x/sys/unix"

// notDumpable clears the process's dumpable flag (PR_SET_DUMPABLE 0).
func notDumpable() error {
	return unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}
