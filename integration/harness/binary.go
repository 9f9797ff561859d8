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
	buildMu  sync.Mutex
	buildDir string // where build put the binary, for RemoveBinary
	build    = sync.OnceValues(buildBinary)
)

// Binary returns the path of the sshshare binary, built from ./cmd/sshshare
// of this module once per process (with -race when the harness itself
// was). Call RemoveBinary when done, typically from TestMain.
func Binary(tb TB) string {
	tb.Helper()
	path, err := build()
	if err != nil {
		tb.Fatalf("build sshshare: %v", err)
	}
	return path
}

// RemoveBinary deletes what Binary built. Binary must not be called after.
func RemoveBinary() {
	buildMu.Lock()
	defer buildMu.Unlock()
	if buildDir != "" {
		os.RemoveAll(buildDir)
		buildDir = ""
	}
}

func buildBinary() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "sshshare-bin-")
	if err != nil {
		return "", err
	}
	buildMu.Lock()
	buildDir = dir
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
