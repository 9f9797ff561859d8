package share

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// The registry lists the sockets of running masters, one small file per
// master in StateDir/masters, so `status` and `stop` find masters whatever
// control path template started them.

// registryDir is the registry inside a state directory.
func registryDir(stateDir string) string { return filepath.Join(stateDir, "masters") }

// registryEntry is the file that records socket.
func registryEntry(stateDir, socket string) string {
	sum := sha256.Sum256([]byte(socket))
	return filepath.Join(registryDir(stateDir), hex.EncodeToString(sum[:8]))
}

// register records socket in the registry.
func register(stateDir, socket string) error {
	dir := registryDir(stateDir)
	if err := EnsurePrivateDir(dir); err != nil {
		return err
	}
	if err := os.WriteFile(registryEntry(stateDir, socket), []byte(socket+"\n"), 0o600); err != nil {
		return fmt.Errorf("register master: %w", err)
	}
	return nil
}

// unregister removes socket from the registry.
func unregister(stateDir, socket string) {
	os.Remove(registryEntry(stateDir, socket))
}

// RegisteredSockets lists the sockets of registered masters, sorted.
func RegisteredSockets(stateDir string) ([]string, error) {
	entries, err := os.ReadDir(registryDir(stateDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read master registry: %w", err)
	}
	var sockets []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(registryDir(stateDir), e.Name()))
		if err == nil {
			sockets = append(sockets, strings.TrimSpace(string(b)))
		}
	}
	sort.Strings(sockets)
	return sockets, nil
}

// ErrStale is returned for a registered socket whose master is gone; the
// socket and its registry entry have been removed.
var ErrStale = errors.New("master is gone; cleaned up")

// Query sends a control operation to the master at socket and returns its
// reply. A socket nobody answers on is cleaned and reported as ErrStale.
func Query(stateDir, socket string, hello Hello) (Reply, error) {
	hello.Version = ProtocolVersion
	conn, err := net.DialTimeout("unix", socket, 2*time.Second)
	if err != nil {
		if isGone(err) {
			os.Remove(socket)
			unregister(stateDir, socket)
			return Reply{}, fmt.Errorf("%s: %w", socket, ErrStale)
		}
		return Reply{}, fmt.Errorf("dial master %s: %w", socket, err)
	}
	defer conn.Close()
	reply, err := exchange(conn, hello)
	if err != nil {
		return reply, fmt.Errorf("master %s: %w", socket, err)
	}
	if !reply.OK {
		return reply, fmt.Errorf("master %s: %s", socket, reply.Error)
	}
	return reply, nil
}

// isGone reports whether a dial error means no master listens there.
func isGone(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOENT)
}
