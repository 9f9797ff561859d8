//go:build unix && !linux

package sysio

import "errors"

// reopen cannot give a pipe a description of its own without /proc: the
// pipe stays shared, and no raw calls are made on it (RawIO is Linux's
// only).
func reopen(int, int) (int, error) { return -1, errors.New("no /proc/self/fd") }
