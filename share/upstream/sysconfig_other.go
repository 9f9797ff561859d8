//go:build !windows

package upstream

// systemConfig is where ssh reads its system-wide config.
func systemConfig() string { return "/etc/ssh/ssh_config" }
