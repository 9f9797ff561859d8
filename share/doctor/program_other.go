//go:build !windows

package doctor

import "io/fs"

// commandWords splits a KnownHostsCommand into words.
func commandWords(command string) []string {
	return shellWords(command, func(string) string { return "" })
}

// runnable reports whether a file's mode lets it run.
func runnable(info fs.FileInfo) bool { return info.Mode()&0o111 != 0 }
