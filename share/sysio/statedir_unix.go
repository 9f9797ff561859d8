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
			Fix:     "remove it or chown it to yourself (as its owner or root: chown $(id -u) " + dir + "), or keep --control-path under ~/.ssh or $XDG_RUNTIME_DIR",
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

// tighten takes group and other read and search access away from dir, a
// private directory of the user's (see EnsureOwnDir).
func tighten(dir string) error {
	info, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("check directory: %w", err)
	}
	perm := info.Mode().Perm()
	if perm&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(dir, perm&^0o077); err != nil {
		return &DirError{
			Path:    dir,
			Problem: fmt.Sprintf("is readable by group or others (mode %#o) and could not be tightened: %v", perm, err),
			Fix:     "chmod 700 " + dir,
		}
	}
	return nil
}

// mkdirPrivate creates dir and its missing parents with mode 0700.
func mkdirPrivate(dir string) error { return os.MkdirAll(dir, 0o700) }
