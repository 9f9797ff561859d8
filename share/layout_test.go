package share

import (
	"go/build"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// TestImportBoundaries: the master never depends on the invocation side
// or the command line (docs/architecture.md), directly or through another
// package of this module, and no production package uses the test
// helpers.
func TestImportBoundaries(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil && runtime.GOOS == "windows" {
		t.Skip("no go command to list imports with (under Wine the Linux one cannot run); the Linux run checks the layout")
	}
	const module = "github.com/sshshare/sshshare/"
	forbidden := []string{module + "share/invoke", module + "cmd/", module + "share/sshtest", module + "share/control/controltest"}
	seen := map[string]bool{}
	var walk func(path, from string)
	walk = func(path, from string) {
		if seen[path] || !strings.HasPrefix(path, module) {
			return
		}
		seen[path] = true
		for _, f := range forbidden {
			if strings.HasPrefix(path, f) {
				t.Errorf("package share depends on %s (imported by %s)", path, from)
			}
		}
		pkg, err := build.Import(path, ".", 0)
		if err != nil {
			t.Fatalf("import %s: %v", path, err)
		}
		for _, imp := range pkg.Imports {
			walk(imp, path)
		}
	}
	walk(module+"share", "")
	if len(seen) < 5 {
		t.Errorf("walked only %v; want share and its sub-packages", seen)
	}
}
