//go:build unix

package tokens

import (
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

// squatted reports whether something at dir belongs to another user: a
// name in a sticky /tmp that the user can neither use nor remove.
func squatted(dir string) bool {
	info, err := os.Lstat(dir)
	if err != nil {
		return false
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) != os.Getuid()
}
