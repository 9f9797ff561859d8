package tokens

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sshshare/sshshare/share/sysio"
)

// PublishSuffix is the shape of the suffix a master adds to its socket path
// to listen on a temporary name before renaming it into place; PublishPath
// fills in the Xs. Socket paths leave room for it.
const PublishSuffix = ".XXXXXXXX.tmp"

// maxFallbackPath bounds every fallback path, on every OS: it fits macOS's
// and the BSDs' 104-byte sun_path with PublishSuffix and the NUL.
const maxFallbackPath = 90

// hashLen is the number of hex digits of SHA-256 in a fallback name: 128
// bits, so distinct templates do not meet by accident.
const hashLen = 32

// MaxSocketPath returns the longest socket path SocketPath returns
// unchanged on this OS: sun_path's size (Linux 108 bytes, macOS and the
// BSDs 104) less the NUL and PublishSuffix.
func MaxSocketPath() int {
	return sunPathLen - 1 - len(PublishSuffix)
}

// SocketPath expands template with Expand, escaping the target's names
// (%r %h %n %k, see escapeName), and returns the result if it is
// at most MaxSocketPath bytes. A longer path could not be bound, so it is
// replaced by a name made from its SHA-256, stable for the same expansion
// and at most 90 bytes long, in $XDG_RUNTIME_DIR/sshshare when
// $XDG_RUNTIME_DIR is an absolute, private directory that leaves room, or
// else in /tmp/sshshare-UID (%TEMP%\sshshare on Windows), or, when another
// user holds that name, in ~/.ssh/sshshare/s (see tempFallbackDir).
// SocketPath creates that directory with mode 0700 and returns a
// *DirError if it is not a directory of the current user's that nobody
// else can write to. It creates no other directory.
func SocketPath(template string, v Values) (string, error) {
	return ViewSocketPath(template, v, "")
}

// ViewSocketPath is SocketPath for a master whose view of the host holds
// more than the target's tokens (see upstream.CommandLine.Key): a non-empty
// key is appended to the expanded path as "+KEY" before the length check,
// so masters of different views never share a socket, and a master with
// the plain view keeps the plain name.
func ViewSocketPath(template string, v Values, key string) (string, error) {
	p, err := expandSocket(template, v)
	if err != nil {
		return "", err
	}
	if p == "" {
		return "", &TemplateError{Template: template, Problem: "empty socket path"}
	}
	if key != "" {
		p += "+" + key
	}
	if len(p) <= MaxSocketPath() {
		return p, nil
	}
	p, err = fallbackPath(p, v.Home)
	if err != nil {
		return "", fmt.Errorf("shorten socket path for %q: %w", template, err)
	}
	return p, nil
}

// PublishPath returns the temporary name a master listens on before it
// renames the socket to path: path with PublishSuffix appended, its Xs
// replaced by random hex digits.
func PublishPath(path string) string {
	return SiblingPath(path, ".tmp")
}

// SiblingPath returns path, a dot, eight random hex digits and ext. With
// an ext of at most four bytes it fits wherever PublishPath does, which
// every socket path leaves room for.
func SiblingPath(path, ext string) string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // never fails, per crypto/rand
	return path + "." + hex.EncodeToString(b[:]) + ext
}

// fallbackPath returns the short stand-in for the too-long path long, for
// a user whose home directory is home.
func fallbackPath(long, home string) (string, error) {
	sum := sha256.Sum256([]byte(long))
	name := hex.EncodeToString(sum[:])[:hashLen]
	dir := runtimeDir()
	if dir == "" {
		dir = tempFallbackDir(home)
	}
	p := filepath.Join(dir, name)
	if len(p) > maxFallbackPath {
		return "", fmt.Errorf("fallback %s is longer than %d bytes", p, maxFallbackPath)
	}
	if err := EnsureDir(dir); err != nil {
		return "", squatHint(dir, err)
	}
	return p, nil
}

// squatHint gives a refused fallback directory that another user holds a
// hint the user can follow: they can neither remove nor chown it.
func squatHint(dir string, err error) error {
	var de *DirError
	if !errors.As(err, &de) || !squatted(dir) {
		return err
	}
	fixed := *de
	fixed.Fix = "another user took " + dir + "; set XDG_RUNTIME_DIR to a private directory of yours, or use a shorter --control-path"
	return &fixed
}

// tempFallbackDir is the fallback directory when $XDG_RUNTIME_DIR will not
// do: privateTempDir, unless another user took that name first (in a
// sticky /tmp the user cannot remove it, and everyone can guess it). Then
// it is homeFallbackDir, which nobody else can create; once that exists,
// it stays the choice even if the squatter leaves, so that the next
// invocation finds the masters already started there.
func tempFallbackDir(home string) string {
	tmp := privateTempDir()
	alt := homeFallbackDir(home)
	if alt == "" {
		return tmp
	}
	if info, err := os.Lstat(alt); err == nil && info.IsDir() {
		return alt
	}
	if squatted(tmp) {
		return alt
	}
	return tmp
}

// homeFallbackDir is ~/.ssh/sshshare/s, in the state directory, or ""
// when home is unknown or too long to leave room for a hashed name.
func homeFallbackDir(home string) string {
	if home == "" || !filepath.IsAbs(home) {
		return ""
	}
	dir := filepath.Join(home, ".ssh", "sshshare", "s")
	if len(dir)+1+hashLen > maxFallbackPath {
		return ""
	}
	return dir
}

// runtimeDir returns $XDG_RUNTIME_DIR/sshshare, or "" when
// $XDG_RUNTIME_DIR is unset, relative, too long for a fallback name, or
// not a private directory of ours.
func runtimeDir() string {
	base := os.Getenv("XDG_RUNTIME_DIR")
	if base == "" || !filepath.IsAbs(base) {
		return ""
	}
	dir := filepath.Join(base, "sshshare")
	if len(dir)+1+hashLen > maxFallbackPath || checkDir(base) != nil {
		return ""
	}
	return dir
}

// DirError reports a socket directory that is unsafe to use: one that
// someone other than the current user could write to or replace.
type DirError = sysio.DirError

// EnsureDir creates dir, and missing parents, with mode 0700 and checks it
// is safe for sockets with sysio.EnsureOwnDir: a real directory (not a
// symlink), owned by the current user, that nobody else may write, read
// or search. The failed check is a *DirError.
func EnsureDir(dir string) error { return sysio.EnsureOwnDir(dir) }

// checkDir is the check of a directory sshshare did not name, such as
// $XDG_RUNTIME_DIR: sysio.CheckPrivateDir, without creating anything.
func checkDir(dir string) error { return sysio.CheckPrivateDir(dir) }

// DefaultMuxName is the mux socket's name by default, in the control
// path template's directory: ~/.ssh/sshshare/%r@%n-%p.mux. It takes %n,
// the host as typed, so that two aliases of one address (each a master
// of its own view) get a mux door each.
const DefaultMuxName = "%r@%n-%p.mux"

// MuxTemplate is the mux socket's template for a control path template
// and a --mux-path: the latter if set, else DefaultMuxName in the control
// path template's directory.
func MuxTemplate(controlPath, muxPath string) string {
	if muxPath != "" {
		return muxPath
	}
	return filepath.Join(filepath.Dir(controlPath), DefaultMuxName)
}

// MuxSocketPath expands template for a master's mux socket, the path a
// stock ssh finds through its ControlPath. ssh expands ControlPath itself
// and knows nothing of SocketPath's escaping, hashing or "+KEY" views, so
// the path must be exactly ssh's expansion: a name that would need
// escaping, or a path too long to bind, is an error (the master then
// serves no mux door, and ssh's ControlPath finds nothing there).
func MuxSocketPath(template string, v Values) (string, error) {
	p, err := expandSocket(template, v)
	if err != nil {
		return "", err
	}
	if raw, err := Expand(template, v); err != nil || raw != p {
		return "", &TemplateError{Template: template, Problem: "the target's name needs escaping in a socket path"}
	}
	if len(p) > MaxSocketPath() {
		return "", &TemplateError{Template: template, Problem: fmt.Sprintf("%s is longer than %d bytes", p, MaxSocketPath())}
	}
	return p, nil
}
