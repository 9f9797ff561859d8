package sysio

import (
	"fmt"
	"os"
	"path/filepath"
)

// A master holds, for its whole life, the connections a password or a
// key opened, and during its login the password, the answers and the
// decrypted keys themselves. What the same user runs must not be able to
// read them out of it: HardenProcess makes the process as closed as
// ssh-agent makes itself, and LeaveWorkDir lets go of the directory the
// first ssh ran in.

// HardenProcess closes the process to its own user and to core files: on
// Linux it is made not dumpable (PR_SET_DUMPABLE 0: no ptrace attach and
// no /proc/PID/mem for the same uid, no core dump), and everywhere it can
// it sets the core file limit to 0, soft and hard, so no crash writes its
// memory to disk. The commands it runs later (ProxyCommand, ssh -G) keep
// the core limit of 0 but are dumpable again: exec resets it.
func HardenProcess() error {
	if err := noCoreDumps(); err != nil {
		return fmt.Errorf("harden process: %w", err)
	}
	if err := notDumpable(); err != nil {
		return fmt.Errorf("harden process: %w", err)
	}
	return nil
}

// startDir is the working directory the process had before LeaveWorkDir;
// "" while it has not left it.
var startDir string

// LeaveWorkDir moves the process to / and remembers where it was, so a
// long-lived master does not keep the first ssh's directory busy (an
// unmount, a deleted directory) or relative paths pointing into it.
// Relative paths the master meets later are resolved against the old
// directory by Abs, and the commands it runs start there (StartDir), as
// they would under ssh.
//
// A directory that is gone (ssh run from a deleted directory) has no
// path: relative paths then resolve against /.
func LeaveWorkDir() error {
	wd, err := os.Getwd()
	if err != nil {
		wd = "/"
	}
	if err := os.Chdir("/"); err != nil {
		return fmt.Errorf("leave working directory: %w", err)
	}
	startDir = wd
	return nil
}

// StartDir is the directory relative paths of the user's config and
// command line are relative to: the working directory before
// LeaveWorkDir, or "" (the current one) when the process did not leave
// it. It is what commands the master runs get as their directory, when it
// still exists.
func StartDir() string {
	if startDir == "" {
		return ""
	}
	if info, err := os.Stat(startDir); err != nil || !info.IsDir() {
		return "/"
	}
	return startDir
}

// Abs resolves a relative path against StartDir; absolute paths and ""
// are returned as they are.
func Abs(path string) string {
	if path == "" || filepath.IsAbs(path) || startDir == "" {
		return path
	}
	return filepath.Join(startDir, path)
}
