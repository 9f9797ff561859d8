package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// wineHint is the message when the Wine smoke test runs outside make
// test-windows, which installs Wine and prepares the prefix.
const wineHint = "run the Wine tests with make test-windows (.ci/test-windows installs Wine and prepares WINEPREFIX)"

// Wine is a Wine prefix that runs the Windows build of sshshare, for the
// end-to-end smoke test of make test-windows. .ci/test-windows makes the
// prefix (with the bcryptprimitives.dll forwarder Go needs under Wine 8.0)
// and ends every process in it when it is done.
type Wine struct {
	Program string // the wine command, absolute
	Prefix  string // WINEPREFIX
	// Profile is the Unix path of the Windows user's profile directory
	// (%USERPROFILE%), under the prefix's drive C.
	Profile string
}

// RequireWine returns the Wine of $WINEPREFIX, or calls tb.Fatalf when
// wine or the prefix is missing: the Wine tests never skip.
func RequireWine(tb TB) *Wine {
	tb.Helper()
	prog, err := exec.LookPath("wine")
	if err != nil {
		tb.Fatalf("wine not installed: %s", wineHint)
	}
	if prog, err = filepath.Abs(prog); err != nil {
		tb.Fatalf("wine path: %v", err)
	}
	prefix := os.Getenv("WINEPREFIX")
	if prefix == "" {
		tb.Fatalf("WINEPREFIX is not set: %s", wineHint)
	}
	u, err := user.Current()
	if err != nil {
		tb.Fatalf("current user: %v", err)
	}
	// Wine names the profile after the Unix user.
	w := &Wine{Program: prog, Prefix: prefix, Profile: filepath.Join(prefix, "drive_c", "users", u.Username)}
	if _, err := os.Stat(w.Profile); err != nil {
		tb.Fatalf("the Wine prefix has no profile for %s: %v (%s)", u.Username, err, wineHint)
	}
	return w
}

// Env is the environment wine needs: the prefix, no debug output (which
// also silences the "wine32 is missing" note), and no offer to install
// Mono or Gecko.
func (w *Wine) Env() []string {
	return []string{"WINEPREFIX=" + w.Prefix, "WINEDEBUG=-all", "WINEDLLOVERRIDES=mscoree,mshtml="}
}

// WindowsPaths returns paths as Windows programs in the prefix name them
// (winepath -w): C:\ for the prefix's drive, Z:\ for the rest of /.
func (w *Wine) WindowsPaths(tb TB, paths ...string) []string {
	tb.Helper()
	winepath := filepath.Join(filepath.Dir(w.Program), "winepath")
	cmd := exec.Command(winepath, append([]string{"-w"}, paths...)...)
	cmd.Env = append(os.Environ(), w.Env()...)
	res := Run(tb, 30*time.Second, cmd)
	lines := strings.Split(strings.TrimRight(string(res.Stdout), "\r\n"), "\n")
	if res.Code != 0 || len(lines) != len(paths) {
		tb.Fatalf("winepath -w %q: %s", paths, res)
	}
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], "\r")
	}
	return lines
}

// windowsBuilds holds a build per main package, each done once per
// process.
var windowsBuilds = map[string]func() (string, error){}

// WindowsBinary builds the main package pkg of this module ("./cmd/sshshare")
// for windows/amd64, once per process, as name.exe in a directory of its
// own, and returns its path. RemoveBinary deletes it.
func WindowsBinary(tb TB, pkg, name string) string {
	tb.Helper()
	buildMu.Lock()
	build, ok := windowsBuilds[pkg]
	if !ok {
		build = sync.OnceValues(func() (string, error) { return buildWindows(pkg, name) })
		windowsBuilds[pkg] = build
	}
	buildMu.Unlock()
	path, err := build()
	if err != nil {
		tb.Fatalf("build %s for windows: %v", pkg, err)
	}
	return path
}

// buildWindows builds pkg for windows/amd64 as make cross does, without
// cgo.
func buildWindows(pkg, name string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "sshshare-win-")
	if err != nil {
		return "", err
	}
	buildMu.Lock()
	buildDirs = append(buildDirs, dir)
	buildMu.Unlock()
	out := filepath.Join(dir, name+".exe")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool(), "build", "-o", out, "-trimpath", "-ldflags=-s -w", pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s in %s: %w\n%s", pkg, root, err, b)
	}
	return out, nil
}
