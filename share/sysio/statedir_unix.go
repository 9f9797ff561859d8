//go:build unix

package sysio

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkOwnerAndMode refuses a directory owned by another user or writable
// by group or others.
func checkOwnerAndMode(dir string, info fs.FileInfo) error {
	if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return &DirError{
			Path:    dir,
			Problem: fmt.Sprintf("is owned by uid %d, not by you (uid %d)", st.Uid, os.Getuid()),
			Fix:     "remove it, or chown it to yourself: chown $(id -u) " + dir,
		}
	}
	if perm := info.Mode().Perm(); perm&0o022 != 0 {
		return &DirError{
			Path:    dir,
			Problem: fmt.Sprintf("is writable by group or others (mode %#o)", perm),
			Fix:     "chmod 700 " + dir,
		}
	}
	return nil
}
