package sysio

import (
	"errors"
	"os"
)

// ErrNoParentArgs is returned by ParentArgs where no process's argv can be
// read.
var ErrNoParentArgs = errors.New("reading another process's command line is not supported on this system")

// ParentArgs returns the command line (argv) of this process's parent: for
// a ProxyCommand, the ssh that runs it (ssh runs `$SHELL -c "exec CMD"`,
// and the exec replaces the shell). The parent is one of the user's own
// processes; its argv is only as trustworthy as that process.
func ParentArgs() ([]string, error) {
	return processArgs(os.Getppid())
}
