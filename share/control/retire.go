package control

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
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
// lock. The socket is renamed beside itself and the registry entries that
// named it are pointed at the new name, so status and stop still find the
// old master; it keeps its live sessions, gets no new ones and exits once
// idle, leaving the new name to be cleaned as stale. It returns the new
// name.
func Retire(stateDir, socket string) (string, error) {
	removeStaleRetired(socket)
	moved, err := retiredPath(socket)
	if err != nil {
		return "", err
	}
	if err := os.Rename(socket, moved); err != nil {
		return "", fmt.Errorf("move old master's socket aside: %w", err)
	}
	bySocket, err := registeredEntries(stateDir)
	for _, entry := range bySocket[socket] {
		if werr := os.WriteFile(entry, []byte(moved+"\n"), 0o600); werr != nil && err == nil {
			err = fmt.Errorf("re-register old master: %w", werr)
		}
	}
	return moved, err
}

// removeStaleRetired removes earlier retired names of socket that nobody
// answers on any more: a master of protocol 1 does not remove its moved
// socket as it exits, and its registry entry, which named it, is gone.
func removeStaleRetired(socket string) {
	pattern := socket + strings.Replace(retiredSuffix, "XXXXXXXX", "*", 1)
	old, _ := filepath.Glob(pattern)
	for _, p := range old {
		conn, err := net.DialTimeout("unix", p, time.Second)
		if err == nil {
			conn.Close()
			continue
		}
		if isGone(err) {
			os.Remove(p)
		}
	}
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
