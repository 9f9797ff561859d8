//go:build windows

package share

import "io/fs"

// checkOwner is a no-op on Windows, where the profile directory's ACL keeps
// other users out.
func checkOwner(string, fs.FileInfo) error { return nil }
