//go:build unix

package sysio

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkSocketFile requires info, the Lstat of path, to be a socket owned by
// the current user.
func checkSocketFile(path string, info fs.FileInfo) error {
	if err := socketType(path, info); err != nil {
		return err
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return &SocketError{
			Path:    path,
			Problem: fmt.Sprintf("is owned by uid %d, not by you (uid %d)", st.Uid, os.Getuid()),
		}
	}
	return nil
}

// socketType checks that info, the socket's Lstat, describes a socket.
func socketType(path string, info fs.FileInfo) error {
	if info.Mode().Type() != fs.ModeSocket {
		return &SocketError{Path: path, Problem: fmt.Sprintf("is not a socket (mode %v)", info.Mode())}
	}
	return nil
}
