//go:build !unix && !windows

package sysio

import (
	"os"
	"strconv"
)

// HandedFD is the descriptor an environment variable's value v names,
// which must be fd.
func HandedFD(v string, fd int) (int, bool) { return fd, v == strconv.Itoa(fd) }

// InheritedFile is the descriptor fd this process was started with.
func InheritedFile(fd int, name string) *os.File { return os.NewFile(uintptr(fd), name) }

// InheritedPipe is the pipe fd this process was started with.
func InheritedPipe(fd int, name string) *os.File { return os.NewFile(uintptr(fd), name) }
