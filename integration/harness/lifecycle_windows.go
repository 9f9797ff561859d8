//go:build windows

package harness

// masterPids is not implemented without /proc.
func masterPids(under string) []int { return nil }
