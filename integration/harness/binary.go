package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// buildTimeout bounds go build of the sshshare binary.
const buildTimeout = 5 * time.Minute

var (
	buildMu   sync.Mutex
	buildDirs []string                              // where builds put binaries, for RemoveBinary
	builds    = map[string]func() (string, error){} // by build tags
)

// Binary returns the path of the sshshare binary, built from ./cmd/sshshare
// of this module once per process (with -race when the harness itself
// was). Call RemoveBinary when done, typically from TestMain.
func Binary(tb TB) string {
	tb.Helper()
	return TaggedBinary(tb, "")
}

// TaggedBinary is Binary built with the go build tags tags (comma
// separated), once per process for each set of tags.
func TaggedBinary(tb TB, tags string) string {
	tb.Helper()
	buildMu.Lock()
	build, ok := builds[tags]
	if !ok {
		build = sync.OnceValues(func() (string, error) { return buildBinary(tags) })
		builds[tags] = build
	}
	buildMu.Unlock()
	path, err := build()
	if err != nil {
		tb.Fatalf("build sshshare (tags %q): %v", tags, err)
	}
	return path
}

// RemoveBinary deletes what Binary built. Binary must not be called after.
func RemoveBinary() {
	buildMu.Lock()
	defer buildMu.Unlock()
	for _, dir := range buildDirs {
		os.RemoveAll(dir)
	}
	buildDirs = nil
}

func buildBinary(tags string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "sshshare-bin-")
	if err != nil {
		return "", err
	}
	buildMu.Lock()
	buildDirs = append(buildDirs, dir)
	buildMu.Unlock()
	out := filepath.Join(dir, "sshshare")
	if runtime.GOOS == "windows" {
		out += ".exe"
	}
	// Without -race, build as make build does: no cgo, which starts each
	// process a millisecond sooner (ssh starts three per connection).
	args := []string{"build", "-o", out, "-trimpath", "-ldflags=-s -w"}
	env := append(os.Environ(), "CGO_ENABLED=0")
	if raceEnabled {
		args = []string{"build", "-o", out, "-race"}
		env = os.Environ()
	}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool(), append(args, "./cmd/sshshare")...)
	cmd.Dir = root
	cmd.Env = env
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/sshshare in %s: %w\n%s", root, err, b)
	}
	return out, nil
}

// goTool names the go command; go test and go run put GOROOT/bin first
// in PATH, so under them it is the toolchain running the tests.
func goTool() string { return "go" }

// moduleRoot finds the directory holding this module's go.mod: up from
// this source file when it is on disk, else as go env GOMOD reports for
// the working directory.
func moduleRoot() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		for dir := filepath.Dir(file); ; dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				return dir, nil
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	out, err := exec.Command(goTool(), "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside the sshshare module (go env GOMOD is empty)")
	}
	return filepath.Dir(gomod), nil
}
