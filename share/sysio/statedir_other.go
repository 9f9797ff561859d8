//go:build !unix

package sysio

import "io/fs"

// checkOwnerAndMode accepts any directory: mode bits mean nothing here, and
// the profile directory's ACL is what keeps other users out.
func checkOwnerAndMode(string, fs.FileInfo) error { return nil }

// tighten has nothing to do: see checkOwnerAndMode.
func tighten(string) error { return nil }
