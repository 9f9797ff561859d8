package integration

import (
	"os"
	"testing"
)

// shortTempDir is a fresh directory under the system's temporary
// directory, with mode, removed when the test ends: a short path (a
// socket in it must fit sun_path) that other users may enter where mode
// lets them, unlike t.TempDir's.
func shortTempDir(t *testing.T, prefix string, mode os.FileMode) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	return dir
}
