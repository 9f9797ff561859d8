package control

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sshshare/sshshare/share/sysio"
	"github.com/sshshare/sshshare/tokens"
)

// retiredExt ends a retired master's socket name, SOCKET.XXXXXXXX.old
// (tokens.SiblingPath): as long as the publish name every socket path
// leaves room for, so it can still be connected to.
const retiredExt = ".old"

// Retire moves the socket of a master that speaks another protocol version
// out of a new master's way, for an invocation that holds the start-up
// lock. The socket gets a second name beside itself, the registry entries
// that named it are pointed at that name, and only then is the first name
// removed: a status that runs meanwhile finds the old master by one name
// or the other. The old master keeps its live sessions, gets no new ones,
// is still found by status and stop, and exits once idle. It returns the
// new name.
func Retire(stateDir, socket string) (string, error) {
	moved := tokens.SiblingPath(socket, retiredExt)
	if err := os.Link(socket, moved); err != nil {
		if err := os.Rename(socket, moved); err != nil {
			return "", fmt.Errorf("move old master's socket aside: %w", err)
		}
	}
	bySocket, err := registeredEntries(stateDir)
	for _, entry := range bySocket[socket] {
		if werr := os.WriteFile(entry, []byte(moved+"\n"), 0o600); werr != nil && err == nil {
			err = fmt.Errorf("re-register old master: %w", werr)
		}
	}
	if rerr := os.Remove(socket); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
		err = fmt.Errorf("move old master's socket aside: %w", rerr)
	}
	return moved, err
}

// removeStaleRetired removes the retired names of socket (see Retire)
// that are sockets nobody answers on any more: a master of protocol 1 does
// not remove its moved socket as it exits, and its registry entry, which
// named it, is gone by then.
func removeStaleRetired(socket string) {
	old, _ := filepath.Glob(socket + ".*" + retiredExt)
	for _, p := range old {
		if !isRetiredName(socket, p) {
			continue
		}
		if sysio.ProbeSocket(p) == sysio.SocketStale {
			os.Remove(p)
		}
	}
}

// isRetiredName reports whether p is socket with a retired suffix: a dot,
// eight hex digits and ".old", nothing else (so SOCKET.log.old, the
// rotated log, is not one).
func isRetiredName(socket, p string) bool {
	suffix, ok := strings.CutPrefix(p, socket)
	if !ok || len(suffix) != len(tokens.PublishSuffix) || suffix[0] != '.' || !strings.HasSuffix(suffix, retiredExt) {
		return false
	}
	_, err := hex.DecodeString(suffix[1:9])
	return err == nil
}
