package sysio

import (
	"fmt"
	"os"
)

// DirError reports a directory that is unsafe to keep sockets, keys or
// logs in: one that someone other than the current user could write to
// or replace.
type DirError struct {
	Path    string
	Problem string // e.g. "is writable by group or others (mode 0775)"
	Fix     string // a command that fixes it, for a hint line
}

// Error describes the directory and what is wrong with it.
func (e *DirError) Error() string {
	return "unsafe directory " + e.Path + ": " + e.Problem
}

// Hint returns how to fix the directory.
func (e *DirError) Hint() string { return e.Fix }

// EnsurePrivateDir creates dir (and missing parents) with mode 0700 (on
// Windows, a protected DACL that grants the user alone) and checks that
// it is private: a real directory (not a symlink), owned by the current
// user, not writable by group or others (on Windows, by anyone but the
// user, SYSTEM and Administrators). Anyone who can write
// there could replace a master's socket or the host key, and so read every
// session of this user. A failed check is a *DirError. This is the one
// such check: every directory sshshare keeps state in goes through it.
func EnsurePrivateDir(dir string) error {
	if err := mkdirPrivate(dir); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return CheckPrivateDir(dir)
}

// CheckPrivateDir is EnsurePrivateDir's check, without creating anything.
// It uses Lstat: a symlink is refused, never followed.
func CheckPrivateDir(dir string) error {
	info, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("check directory: %w", err)
	}
	switch {
	case info.Mode()&os.ModeSymlink != 0:
		return &DirError{Path: dir, Problem: "is a symlink", Fix: "remove it: rm " + dir}
	case !info.IsDir():
		return &DirError{Path: dir, Problem: "is not a directory", Fix: "remove it: rm " + dir}
	}
	return checkOwnerAndMode(dir, info)
}

// EnsureOwnDir is EnsurePrivateDir for a directory sshshare names and
// creates itself (the state directory, the registry, the fallback socket
// directories), which nobody else has any business in: when it is the
// user's but group or others may read or search it, so list which targets
// the user connects to, it is tightened to mode 0700 rather than refused.
// Every sshshare build has created these directories 0700. A directory the
// user chose for sockets (--control-path) is left as it is, held to
// EnsurePrivateDir's rule, like ssh's ControlPath.
func EnsureOwnDir(dir string) error {
	if err := EnsurePrivateDir(dir); err != nil {
		return err
	}
	return tighten(dir)
}
