package sysio

import (
	"os"
	"strconv"

	"golang.org/x/sys/windows"
)

// HandedFD is the handle an environment variable's value v names: a
// spawned master inherits its pipes as handles whose values the
// invocation cannot choose (see invoke.SpawnMaster), so any value is
// taken; fd, the descriptor a Unix master would get, does not apply.
func HandedFD(v string, _ int) (int, bool) {
	h, err := strconv.ParseUint(v, 10, 64)
	if err != nil || h == 0 {
		return 0, false
	}
	return int(h), true
}

// InheritedFile is the handle fd this process was started with (a pipe
// or a lent stderr) as a file that no program it runs inherits: a
// long-lived child holding it would keep its other end waiting.
func InheritedFile(fd int, name string) *os.File {
	windows.SetHandleInformation(windows.Handle(fd), windows.HANDLE_FLAG_INHERIT, 0)
	return os.NewFile(uintptr(fd), name)
}

// InheritedPipe is InheritedFile for a pipe. Its reads take no deadline:
// the invocation's end is the one with them.
func InheritedPipe(fd int, name string) *os.File { return InheritedFile(fd, name) }
