//go:build !unix

package sysio

import (
	"fmt"
	"io/fs"
)

// checkSocketFile requires info, the Lstat of path, to be what a master
// publishes (see IsSocketFile): ownership is the profile directory's ACL's
// business here (see checkOwnerAndMode), and the check of the process
// serving it after connecting is what decides.
func checkSocketFile(path string, info fs.FileInfo) error {
	if !IsSocketFile(info) {
		return &SocketError{Path: path, Problem: fmt.Sprintf("is not a master's socket (mode %v)", info.Mode())}
	}
	return nil
}
