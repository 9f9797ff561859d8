package sysio

import "os"

// noCoreDumps does nothing: Windows writes no core files by default.
func noCoreDumps() error { return nil }

// RedirectStderr does nothing on Windows, where a master is not
// detached from a console and keeps its own.
func RedirectStderr(*os.File) error { return nil }
