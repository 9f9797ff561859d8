//go:build !unix

package tokens

import (
	"os"
	"path/filepath"
)

// sunPathLen is the size of sun_path where AF_UNIX exists outside Unix:
// Windows' UNIX_PATH_MAX.
const sunPathLen = 108

// tempRoot is where privateTempDir lives; tests point it elsewhere.
var tempRoot = os.TempDir()

// privateTempDir is the fallback socket directory. On Windows the temp
// directory is already inside the user's profile.
func privateTempDir() string {
	return filepath.Join(tempRoot, "sshshare")
}

// squatted reports false: the temp directory is inside the user's profile.
func squatted(string) bool { return false }
