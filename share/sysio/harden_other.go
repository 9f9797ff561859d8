//go:build !linux

package sysio

// notDumpable does nothing where there is no PR_SET_DUMPABLE: the core
// limit of 0 (noCoreDumps) is then all the protection.
func notDumpable() error { return nil }
