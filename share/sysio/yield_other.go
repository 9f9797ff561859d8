//go:build !linux

package sysio

// Yield does nothing: it is a hint measured on Linux only.
func Yield() {}
