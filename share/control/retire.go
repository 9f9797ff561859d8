package control

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/sshshare/sshshare/tokens"
)

// retiredSuffix is the shape of the suffix a retired master's socket gets;
// it is as long as tokens.PublishSuffix, which every socket path leaves
// room for, so the new name can still be connected to.
const retiredSuffix = ".XXXXXXXX.old"

// A retired name must fit where the publish name did.
var _ [len(tokens.PublishSuffix) - len(retiredSuffix)]struct{}

// Retire moves the socket of a master that speaks another protocol version
// out of a new master's way, for an invocation that holds the start-up
// lock. The socket gets a second name beside itself, the registry entries
// that named it are pointed at that name, and only then is the first name
// removed: a status that runs meanwhile finds the old master by one name
// or the other. The old master keeps its live sessions, gets no new ones,
// is still found by status and stop, and exits once idle. It returns the
// new name.
func Retire(stateDir, socket string) (string, error) {
	RemoveStaleRetired(socket)
	moved, err := retiredPath(socket)
	if err != nil {
		return "", err
	}
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

// RemoveStaleRetired removes the retired names of socket (see Retire)
// that are sockets nobody answers on any more: a master of protocol 1 does
// not remove its moved socket as it exits, and its registry entry, which
// named it, is gone by then.
func RemoveStaleRetired(socket string) {
	old, _ := filepath.Glob(socket + ".*.old")
	for _, p := range old {
		if !isRetiredName(socket, p) {
			continue
		}
		if info, err := os.Lstat(p); err != nil || info.Mode().Type() != fs.ModeSocket {
			continue
		}
		conn, err := net.DialTimeout("unix", p, time.Second)
		if err == nil {
			conn.Close()
			continue
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			os.Remove(p)
		}
	}
}

// isRetiredName reports whether p is socket with a retired suffix: a dot,
// eight hex digits and ".old", nothing else (so SOCKET.log.old, the
// rotated log, is not one).
func isRetiredName(socket, p string) bool {
	suffix, ok := strings.CutPrefix(p, socket)
	if !ok || len(suffix) != len(retiredSuffix) || !strings.HasPrefix(suffix, ".") || !strings.HasSuffix(suffix, ".old") {
		return false
	}
	_, err := hex.DecodeString(suffix[1:9])
	return err == nil
}

// retiredPath is a fresh name for socket once retired.
func retiredPath(socket string) (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("name retired socket: %w", err)
	}
	p := socket + strings.Replace(retiredSuffix, "XXXXXXXX", hex.EncodeToString(b[:]), 1)
	return p, nil
}

// RegisteredPath is the socket path the registry holds for master pid of
// socket: socket itself, or where Retire moved it.
func RegisteredPath(stateDir, socket string, pid int) string {
	b, err := os.ReadFile(registryEntry(stateDir, socket, pid))
	if err != nil {
		return socket
	}
	return strings.TrimSpace(string(b))
}
