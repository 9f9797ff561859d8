package doctor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/sysio"
)

// CheckStateDir checks sshshare's state directory, its registry of
// masters and, with a host, the directory of that host's socket, as
// sysio.EnsurePrivateDir does before a master uses them, without
// creating anything; and the length of the host's socket path.
func CheckStateDir(stateDir string, h *Host) []Finding {
	out := []Finding{checkDir("state.dir", stateDir, "the first master creates it, mode 0700")}
	if _, err := os.Lstat(stateDir); err == nil {
		if f := checkDir("state.registry", filepath.Join(stateDir, "masters"), "the first master creates it"); f.Severity != OK {
			out = append(out, f)
		}
	}
	if h == nil || !h.Runs || h.FlagsErr != nil {
		return out
	}
	if err := h.Flags.SocketErr; err != nil {
		fix := hint.Of(err)
		if fix == "" {
			fix = "use a shorter --control-path, under ~/.ssh or $XDG_RUNTIME_DIR (docs/setup.md)"
		}
		return append(out, broken("state.socket", h.Name+"'s master can have no socket: "+err.Error(), fix))
	}
	socket := h.Flags.Socket
	if dir := filepath.Dir(socket); filepath.Clean(dir) != filepath.Clean(stateDir) {
		out = append(out, checkDir("state.socketdir", dir, "the master creates it"))
	}
	return append(out, ok("state.socket", fmt.Sprintf("%s's master socket: %s (%d bytes)", h.Name, socket, len(socket))))
}

// checkDir is one directory's finding: a *sysio.DirError (another owner,
// writable by others, a symlink) needs its fix; a directory others may
// read is tightened by the next master; a missing one is made.
func checkDir(id, dir, missing string) Finding {
	err := sysio.CheckPrivateDir(dir)
	var de *sysio.DirError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ok(id, dir+" does not exist yet: "+missing)
	case errors.As(err, &de):
		return broken(id, de.Error()+": sshshare refuses to keep sockets there, since whoever can write there could take over your sessions", de.Fix)
	case err != nil:
		return broken(id, err.Error(), "check the directory's permissions: chmod 700 "+dir)
	}
	// On Windows modes mean nothing (Go reports 0777); a DACL that lets
	// others read is tightened by the next master all the same.
	info, err := os.Lstat(dir)
	if err == nil && runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 && id != "state.socketdir" {
		return warn(id, fmt.Sprintf("%s is readable by group or others (mode %#o): they can list the hosts you reach; the next master tightens it", dir, info.Mode().Perm()),
			"chmod 700 "+dir)
	}
	return ok(id, dir+": yours, private")
}
