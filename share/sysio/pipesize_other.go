//go:build unix && !linux

package sysio

// widenPipe does nothing where pipes cannot be resized.
func widenPipe(int) {}
