package share

import (
	"fmt"
	"os"
	"path/filepath"
)

// StateDir is the per-user directory that holds the local host key and, by
// default, the masters' sockets and logs: ~/.ssh/sshshare.
func StateDir(home string) string {
	return filepath.Join(home, ".ssh", "sshshare")
}

// EnsurePrivateDir creates dir (and missing parents) with mode 0700 and
// checks that it is private: owned by the current user and not writable by
// group or others. Anyone who can write there could replace a master's
// socket or the host key, and so read every session of this user.
func EnsurePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("stat %s: %w", dir, err)
	}
	if !info.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	if err := checkOwner(dir, info); err != nil {
		return err
	}
	if perm := info.Mode().Perm(); perm&0o022 != 0 {
		return withHint(fmt.Errorf("%s is writable by group or others (mode %#o)", dir, perm),
			fmt.Sprintf("chmod 700 %s", dir))
	}
	return nil
}
