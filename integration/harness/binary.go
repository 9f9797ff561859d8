package harness

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
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
	buildDirs []string                                // where builds put binaries, for RemoveBinary
	builds    = map[buildKey]func() (string, error){} // each built once per process
)

// buildKey names a build: the source (this tree, or commit rev of its
// repository) and the go build tags.
type buildKey struct{ rev, tags string }

// Binary returns the path of the sshshare binary, built from ./cmd/sshshare
// of this module once per process (with -race when the harness itself
// was). Call RemoveBinary when done, typically from TestMain.
func Binary(tb TB) string {
	tb.Helper()
	return cachedBuild(tb, buildKey{})
}

// TaggedBinary is Binary built with the go build tags tags (comma
// separated), once per process for each set of tags.
func TaggedBinary(tb TB, tags string) string {
	tb.Helper()
	return cachedBuild(tb, buildKey{tags: tags})
}

// ReleaseBinary is the sshshare of commit rev of this module's git
// repository, built as Binary builds, once per process: an earlier
// release, for tests of masters and invocations of different builds. ok
// is false, with why, when the repository does not have rev (a shallow
// clone, or no git at all).
func ReleaseBinary(tb TB, rev string) (path, why string, ok bool) {
	tb.Helper()
	root, err := moduleRoot()
	if err != nil {
		tb.Fatalf("find module root: %v", err)
	}
	if out, err := exec.Command("git", "-C", root, "cat-file", "-e", rev+"^{commit}").CombinedOutput(); err != nil {
		return "", fmt.Sprintf("commit %s is not in %s (%v: %s)", rev, root, err, strings.TrimSpace(string(out))), false
	}
	return cachedBuild(tb, buildKey{rev: rev}), "", true
}

// cachedBuild builds key once per process and returns the binary's path.
func cachedBuild(tb TB, key buildKey) string {
	tb.Helper()
	buildMu.Lock()
	build, ok := builds[key]
	if !ok {
		build = sync.OnceValues(func() (string, error) { return buildBinary(key) })
		builds[key] = build
	}
	buildMu.Unlock()
	path, err := build()
	if err != nil {
		tb.Fatalf("build sshshare %+v: %v", key, err)
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

func buildBinary(key buildKey) (string, error) {
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
	if key.rev != "" {
		if root, err = extractRev(root, key.rev, filepath.Join(dir, "src")); err != nil {
			return "", err
		}
	}
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
	if key.tags != "" {
		args = append(args, "-tags", key.tags)
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

// extractRev writes the tree of commit rev of the repository at root into
// dst (git archive) and returns dst.
func extractRev(root, rev, dst string) (string, error) {
	cmd := exec.Command("git", "-C", root, "archive", "--format=tar", rev)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("git archive %s: %w", rev, err)
	}
	terr := untar(out, dst)
	if err := cmd.Wait(); err != nil {
		return "", fmt.Errorf("git archive %s: %w: %s", rev, err, stderr.String())
	}
	return dst, terr
}

// untar writes the regular files and directories of the tar stream r
// under dst.
func untar(r io.Reader, dst string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read archive: %w", err)
		}
		path := filepath.Join(dst, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(path, dst+string(filepath.Separator)) {
			continue
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(path, 0o755)
		case tar.TypeReg:
			err = writeFileFrom(path, tr, os.FileMode(h.Mode).Perm())
		}
		if err != nil {
			return fmt.Errorf("extract %s: %w", h.Name, err)
		}
	}
}

// writeFileFrom writes r to path, creating its directory.
func writeFileFrom(path string, r io.Reader, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
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
