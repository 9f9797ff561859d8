package sysio

import (
	"io"
)

// ReadFileShared is os.ReadFile through OpenShared: on Windows, reading a
// file does not stop another process renaming a new one over it or
// removing one of its links, nor fail while it does (both sharing
// violations with os.ReadFile).
func ReadFileShared(path string) ([]byte, error) {
	f, err := OpenShared(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
