//go:build !unix && !windows

package sysio

import (
	"io/fs"
	"os"
)

// checkOwnerAndMode accepts any directory: this platform (plan9, wasm)
// has no owner or access list that sshshare knows how to check.
func checkOwnerAndMode(string, fs.FileInfo) error { return nil }

// tighten has nothing to do: see checkOwnerAndMode.
func tighten(string) error { return nil }

// mkdirPrivate creates dir and its missing parents.
func mkdirPrivate(dir string) error { return os.MkdirAll(dir, 0o700) }
