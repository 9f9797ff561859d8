//go:build unix

package tokens

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// useTempRoot points the /tmp fallback at a private temp dir for one test,
// so tests leave nothing in the real /tmp.
func useTempRoot(t *testing.T) string {
	t.Helper()
	old := tempRoot
	tempRoot = shortTempDir(t)
	t.Cleanup(func() { tempRoot = old })
	return filepath.Join(tempRoot, "sshshare-"+strconv.Itoa(os.Getuid()))
}

// shortTempDir is a t.TempDir short enough to hold fallback names: on
// macOS $TMPDIR alone is about 50 bytes.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "tok")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// longTemplate is a 120-character directory plus a socket name.
func longTemplate(t *testing.T) string {
	t.Helper()
	dir := "/" + strings.Repeat("d", 119)
	if len(dir) != 120 {
		t.Fatalf("long dir: got %d bytes; want 120", len(dir))
	}
	return dir + "/%r@%h-%p"
}

func TestMaxSocketPath(t *testing.T) {
	want := map[string]int{"linux": 94, "android": 94, "darwin": 90, "ios": 90, "freebsd": 90,
		"openbsd": 90, "netbsd": 90, "dragonfly": 90}[runtime.GOOS]
	if got := MaxSocketPath(); want != 0 && got != want {
		t.Errorf("MaxSocketPath() on %s: got %d; want %d", runtime.GOOS, got, want)
	}
	if got := MaxSocketPath(); got < maxFallbackPath {
		t.Errorf("MaxSocketPath(): got %d; want at least the fallback bound %d", got, maxFallbackPath)
	}
}

func TestSocketPathShortUnchanged(t *testing.T) {
	dir := shortTempDir(t)
	tests := []string{
		dir + "/%r@%h-%p",
		dir + "/" + strings.Repeat("s", MaxSocketPath()-len(dir)-1),
	}
	for _, template := range tests {
		t.Run(strconv.Itoa(len(template)), func(t *testing.T) {
			want, err := Expand(template, testValues)
			if err != nil {
				t.Fatal(err)
			}
			got, err := SocketPath(template, testValues)
			if err != nil || got != want {
				t.Fatalf("SocketPath(%q): got %q, %v; want %q", template, got, err, want)
			}
			listen(t, got)
		})
	}
}

func TestSocketPathFallback(t *testing.T) {
	xdg := shortTempDir(t)
	longXDG := filepath.Join(xdg, strings.Repeat("x", 60))
	mkdir(t, longXDG, 0o700)
	groupWritable := shortTempDir(t)
	if err := os.Chmod(groupWritable, 0o770); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, xdg string
		wantDir   func(tmp string) string
	}{
		{"no runtime dir", "", func(tmp string) string { return tmp }},
		{"runtime dir", xdg, func(string) string { return filepath.Join(xdg, "sshshare") }},
		{"relative runtime dir", "run/user", func(tmp string) string { return tmp }},
		{"missing runtime dir", xdg + "/missing", func(tmp string) string { return tmp }},
		{"shared runtime dir", groupWritable, func(tmp string) string { return tmp }},
		{"long runtime dir", longXDG, func(tmp string) string { return tmp }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := useTempRoot(t)
			t.Setenv("XDG_RUNTIME_DIR", tt.xdg)
			template := longTemplate(t)
			got, err := SocketPath(template, testValues)
			if err != nil {
				t.Fatalf("SocketPath(%q): %v", template, err)
			}
			checkFallback(t, got, tt.wantDir(tmp))
			again, err := SocketPath(template, testValues)
			if err != nil || again != got {
				t.Errorf("SocketPath again: got %q, %v; want %q", again, err, got)
			}
			listen(t, got)
		})
	}
}

// checkFallback checks p is a hashed name in dir, within the bound, in a
// 0700 directory.
func checkFallback(t *testing.T, p, dir string) {
	t.Helper()
	if len(p) > maxFallbackPath {
		t.Errorf("fallback %q: got %d bytes; want at most %d", p, len(p), maxFallbackPath)
	}
	if got := filepath.Dir(p); got != dir {
		t.Errorf("fallback %q: got directory %q; want %q", p, got, dir)
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(filepath.Base(p)) {
		t.Errorf("fallback %q: got name %q; want 32 hex digits", p, filepath.Base(p))
	}
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("fallback directory %s: got mode %#o; want 0700", dir, perm)
	}
}

// listen proves p can be bound, with the publish suffix too.
func listen(t *testing.T, p string) {
	t.Helper()
	for _, name := range []string{PublishPath(p), p} {
		l, err := net.Listen("unix", name)
		if err != nil {
			t.Fatalf("listen on %q: %v", name, err)
		}
		_ = l.Close()
	}
}

func TestSocketPathFallbackDistinct(t *testing.T) {
	useTempRoot(t)
	t.Setenv("XDG_RUNTIME_DIR", "")
	seen := make(map[string]string)
	for _, host := range []string{"a", "b", "c"} {
		v := testValues
		v.Host = host
		p, err := SocketPath(longTemplate(t), v)
		if err != nil {
			t.Fatal(err)
		}
		if other, dup := seen[p]; dup {
			t.Errorf("hosts %s and %s: got the same socket %q; want distinct", other, host, p)
		}
		seen[p] = host
	}
}

// TestSocketPathUnsafeTempDir: a /tmp/sshshare-UID of the user's own that
// is unsafe is refused (the user can fix it; the hint says how).
func TestSocketPathUnsafeTempDir(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", "")
	tests := []struct {
		name  string
		plant func(t *testing.T, dir string)
		want  string
	}{
		{"group writable", func(t *testing.T, dir string) { mkdir(t, dir, 0o775) }, "is writable by group or others (mode 0775)"},
		{"symlink", func(t *testing.T, dir string) { symlink(t, shortTempDir(t), dir) }, "is a symlink"},
		{"file", func(t *testing.T, dir string) { writeFile(t, dir) }, "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := useTempRoot(t)
			tt.plant(t, dir)
			v := testValues
			v.Home = shortTempDir(t)
			got, err := SocketPath(longTemplate(t), v)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("SocketPath with a planted %s: got %q, %v; want an error containing %q",
					dir, got, err, tt.want)
			}
		})
	}
}

func TestEnsureDirError(t *testing.T) {
	dir := filepath.Join(shortTempDir(t), "shared")
	mkdir(t, dir, 0o777)
	err := EnsureDir(dir)
	var de *DirError
	if !errors.As(err, &de) || de.Path != dir || de.Hint() != "chmod 700 "+dir {
		t.Fatalf("EnsureDir(%s): got %v; want a *DirError with a chmod hint", dir, err)
	}
}

func TestEnsureDirCreates(t *testing.T) {
	dir := filepath.Join(shortTempDir(t), "a", "b")
	if err := EnsureDir(dir); err != nil {
		t.Fatalf("EnsureDir(%s): %v", dir, err)
	}
	if err := EnsureDir(dir); err != nil {
		t.Fatalf("EnsureDir(%s) again: %v", dir, err)
	}
}

func TestSocketPathEmpty(t *testing.T) {
	t.Setenv("SSHSHARE_TEST_EMPTY", "")
	if got, err := SocketPath("${SSHSHARE_TEST_EMPTY}", testValues); err == nil {
		t.Errorf("SocketPath of an empty expansion: got %q; want an error", got)
	}
}

func TestPublishPath(t *testing.T) {
	const p = "/run/x/sock"
	a, b := PublishPath(p), PublishPath(p)
	if len(a) != len(p)+len(PublishSuffix) {
		t.Errorf("PublishPath(%q): got %q (%d bytes); want %d bytes", p, a, len(a), len(p)+len(PublishSuffix))
	}
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(p) + `\.[0-9a-f]{8}\.tmp$`).MatchString(a) {
		t.Errorf("PublishPath(%q): got %q; want %s.<8 hex>.tmp", p, a, p)
	}
	if a == b {
		t.Errorf("PublishPath(%q) twice: got %q both times; want random names", p, a)
	}
}

func mkdir(t *testing.T, dir string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(dir, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, name string) {
	t.Helper()
	if err := os.WriteFile(name, nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

// plantForeign makes dir, a directory, symlink or file, owned by another
// user; only root can.
func plantForeign(t *testing.T, dir string, plant func(t *testing.T, dir string)) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root to give a path to another user")
	}
	plant(t, dir)
	if err := os.Lchown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
}

// TestSocketPathSquattedTempDir reproduces the review's finding 12:
// another user who made /tmp/sshshare-UID first (a directory, a symlink
// or a file, none of which the user can remove from a sticky /tmp) denied
// every long socket path for good. Now the fallback moves to
// ~/.ssh/sshshare/s, and stays there once made, so that the next
// invocation finds the same master even after the squatter left.
func TestSocketPathSquattedTempDir(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", "")
	for _, tt := range []struct {
		name  string
		plant func(t *testing.T, dir string)
	}{
		{"directory", func(t *testing.T, dir string) { mkdir(t, dir, 0o755) }},
		{"symlink", func(t *testing.T, dir string) { symlink(t, shortTempDir(t), dir) }},
		{"file", writeFile},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tmp := useTempRoot(t)
			plantForeign(t, tmp, tt.plant)
			v := testValues
			v.Home = shortTempDir(t)
			alt := filepath.Join(v.Home, ".ssh", "sshshare", "s")
			got, err := SocketPath(longTemplate(t), v)
			if err != nil {
				t.Fatalf("SocketPath with %s squatted: %v; want a socket in %s", tmp, err, alt)
			}
			checkFallback(t, got, alt)
			listen(t, got)
			if err := os.RemoveAll(tmp); err != nil { // the squatter leaves
				t.Fatal(err)
			}
			if again, err := SocketPath(longTemplate(t), v); err != nil || again != got {
				t.Errorf("SocketPath after the squatter left: got %q, %v; want %q still", again, err, got)
			}
		})
	}
}

// TestViewSocketPath: a view key is appended; a long path with it falls
// back to a hashed name distinct from the plain one.
func TestViewSocketPath(t *testing.T) {
	dir := shortTempDir(t)
	plain, err := ViewSocketPath(dir+"/%r@%h-%p", testValues, "")
	if err != nil {
		t.Fatal(err)
	}
	keyed, err := ViewSocketPath(dir+"/%r@%h-%p", testValues, "0123456789abcdef")
	if err != nil || keyed != plain+"+0123456789abcdef" {
		t.Fatalf("got %q, %v; want %q", keyed, err, plain+"+0123456789abcdef")
	}
	useTempRoot(t)
	t.Setenv("XDG_RUNTIME_DIR", "")
	longPlain, err := ViewSocketPath(longTemplate(t), testValues, "")
	if err != nil {
		t.Fatal(err)
	}
	longKeyed, err := ViewSocketPath(longTemplate(t), testValues, "0123456789abcdef")
	if err != nil || longKeyed == longPlain || len(longKeyed) > maxFallbackPath {
		t.Errorf("long: got %q, %v; want a fallback other than %q", longKeyed, err, longPlain)
	}
}

// TestSocketPathEscapesNames reproduces the review's finding 11: a remote
// user (or host, or alias) of "../../tmp/x" led the socket out of the
// directory the template names. The target's names are escaped; distinct
// names keep distinct paths, and plain names are unchanged.
func TestSocketPathEscapesNames(t *testing.T) {
	const template = "/state/%r@%h-%p"
	tests := []struct {
		user, host, alias string
		want              string
	}{
		{"alice", "example.com", "", "/state/alice@example.com-22"},
		{"../../tmp/x", "h", "", "/state/..%2F..%2Ftmp%2Fx@h-22"},
		{"..", "h", "", "/state/%2E%2E@h-22"},
		{"a%2Fb", "h", "", "/state/a%252Fb@h-22"},
		{`a\b`, "h", "", "/state/a%5Cb@h-22"},
		{"u", "../h", "", "/state/u@..%2Fh-22"},
	}
	for _, tt := range tests {
		v := Values{RemoteUser: tt.user, Host: tt.host, Port: "22", Alias: tt.alias}
		got, err := SocketPath(template, v)
		if err != nil || got != tt.want {
			t.Errorf("SocketPath(%q, user %q host %q) = %q, %v; want %q", template, tt.user, tt.host, got, err, tt.want)
		}
	}
	for _, tok := range []string{"%n", "%k"} {
		v := Values{RemoteUser: "u", Host: "h", Port: "22", Alias: "../../x"}
		got, err := SocketPath("/state/"+tok, v)
		if err != nil || filepath.Dir(got) != "/state" {
			t.Errorf("SocketPath(/state/%s) with alias ../../x = %q, %v; want a name in /state", tok, got, err)
		}
	}
	// Only socket paths escape: Expand stays OpenSSH's.
	if got, _ := Expand(template, Values{RemoteUser: "a/b", Host: "h", Port: "22"}); got != "/state/a/b@h-22" {
		t.Errorf("Expand = %q; want OpenSSH's unescaped expansion", got)
	}
	seen := map[string]string{}
	for _, u := range []string{"a/b", "a%2Fb", "a%252Fb", ".", "..", "%2E", "%2E%2E", "a\\b", "a%5Cb"} {
		got, err := SocketPath("/state/%r", Values{RemoteUser: u, Host: "h", Port: "22"})
		if err != nil {
			t.Fatal(err)
		}
		if other, ok := seen[got]; ok {
			t.Errorf("users %q and %q share socket %q", u, other, got)
		}
		seen[got] = u
		if filepath.Dir(got) != "/state" {
			t.Errorf("user %q: socket %q is not in /state", u, got)
		}
	}
}

// TestSocketPathSquattedNoRoom: with no room for a fallback in the home
// directory, a squatted /tmp/sshshare-UID is refused with a hint the user
// can follow (not "remove it", which they cannot).
func TestSocketPathSquattedNoRoom(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", "")
	tmp := useTempRoot(t)
	plantForeign(t, tmp, func(t *testing.T, dir string) { mkdir(t, dir, 0o755) })
	v := testValues
	v.Home = "/" + strings.Repeat("h", 80)
	_, err := SocketPath(longTemplate(t), v)
	var de *DirError
	if !errors.As(err, &de) || !strings.Contains(de.Hint(), "XDG_RUNTIME_DIR") || strings.Contains(de.Hint(), "chown") {
		t.Errorf("got %v (hint %q); want a *DirError whose hint names XDG_RUNTIME_DIR", err, hint(de))
	}
}

func hint(de *DirError) string {
	if de == nil {
		return ""
	}
	return de.Hint()
}
