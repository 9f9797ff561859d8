//go:build windows

package harness

// masterPids is not implemented without /proc.
func masterPids(under string) []int { return nil }

// HelperPids finds no processes here.
func HelperPids(name string) []int { return nil }
