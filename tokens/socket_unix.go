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
