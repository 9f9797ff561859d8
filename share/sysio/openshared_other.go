//go:build !windows

package sysio

import "os"

// OpenShared opens path for reading, as os.Open does: here a file open
// for reading may be renamed and removed all the same.
func OpenShared(path string) (*os.File, error) { return os.Open(path) }
