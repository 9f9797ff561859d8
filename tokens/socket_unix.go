//go:build unix

package tokens

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// sunPathLen is the size of sockaddr_un's sun_path on this OS.
const sunPathLen = len(syscall.RawSockaddrUnix{}.Path)

// tempRoot is where privateTempDir lives; tests point it elsewhere.
var tempRoot = "/tmp"

// privateTempDir is the fallback socket directory when $XDG_RUNTIME_DIR
// will not do: /tmp/sshshare-UID. Its name is predictable, so EnsureDir's
// checks are what keep another user from planting it first.
func privateTempDir() string {
	return filepath.Join(tempRoot, "sshshare-"+strconv.Itoa(os.Getuid()))
}

// checkOwnerAndMode refuses a directory owned by another user or writable
// by group or others.
func checkOwnerAndMode(dir string, info fs.FileInfo) error {
	if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return &DirError{
			Path:    dir,
			Problem: fmt.Sprintf("is owned by uid %d, not by you (uid %d)", st.Uid, os.Getuid()),
			Fix:     "remove it, or chown it to yourself: chown $(id -u) " + dir,
		}
	}
	if perm := info.Mode().Perm(); perm&0o022 != 0 {
		return &DirError{
			Path:    dir,
			Problem: fmt.Sprintf("is writable by group or others (mode %#o)", perm),
			Fix:     "chmod 700 " + dir,
		}
	}
	return nil
}
