package sysio

import (
	"os"
	"strconv"

	"golang.org/x/sys/windows"
)

// HandedFD is the handle an environment variable's value v names: a
// spawned master inherits its pipes as handles whose values the
// invocation cannot choose (see invoke.SpawnMaster), so any value that
// names a pipe (or, for a lent stderr, a file) is taken; fd, the descriptor a Unix master would get, does
// not apply. A value left over in the environment of a master started
// otherwise names no pipe, or not one of its own.
func HandedFD(v string, _ int) (int, bool) {
	h, err := strconv.ParseUint(v, 10, 64)
	if err != nil || h == 0 || h > 1<<31 {
		return 0, false
	}
	if t, err := windows.GetFileType(windows.Handle(h)); err != nil || t != windows.FILE_TYPE_PIPE && t != windows.FILE_TYPE_DISK {
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
