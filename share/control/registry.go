package control

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sshshare/sshshare/share/sysio"
)

// The registry lists the sockets of running masters, one small file per
// master in StateDir/masters, so `status` and `stop` find masters whatever
// control path template started them.

// registryDir is the registry inside a state directory.
func registryDir(stateDir string) string { return filepath.Join(stateDir, "masters") }

// registryEntry is the file in which master pid records socket. The pid
// is part of the name so that a master leaving never removes the entry of
// a successor on the same socket.
func registryEntry(stateDir, socket string, pid int) string {
	sum := sha256.Sum256([]byte(socket))
	return filepath.Join(registryDir(stateDir), hex.EncodeToString(sum[:8])+"."+strconv.Itoa(pid))
}

// Register records socket in the registry, for this master, and removes
// retired names of socket that nobody answers on (see removeStaleRetired).
func Register(stateDir, socket string) error {
	dir := registryDir(stateDir)
	if err := sysio.EnsureOwnDir(dir); err != nil {
		return err
	}
	removeStaleRetired(socket)
	if err := os.WriteFile(registryEntry(stateDir, socket, os.Getpid()), []byte(socket+"\n"), 0o600); err != nil {
		return fmt.Errorf("register master: %w", err)
	}
	return nil
}

// Unregister removes this master's entry for socket from the registry and
// returns the socket path the entry held: socket, or where Retire moved it.
func Unregister(stateDir, socket string) string {
	entry := registryEntry(stateDir, socket, os.Getpid())
	path := socket
	if b, err := os.ReadFile(entry); err == nil {
		path = strings.TrimSpace(string(b))
	}
	os.Remove(entry)
	return path
}

// registeredEntries maps each registered socket to its entry files.
func registeredEntries(stateDir string) (map[string][]string, error) {
	dir := registryDir(stateDir)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read master registry: %w", err)
	}
	bySocket := make(map[string][]string)
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		if b, err := os.ReadFile(path); err == nil {
			socket := strings.TrimSpace(string(b))
			bySocket[socket] = append(bySocket[socket], path)
		}
	}
	return bySocket, nil
}

// RegisteredSockets lists the sockets of registered masters, sorted.
func RegisteredSockets(stateDir string) ([]string, error) {
	bySocket, err := registeredEntries(stateDir)
	sockets := make([]string, 0, len(bySocket))
	for socket := range bySocket {
		sockets = append(sockets, socket)
	}
	sort.Strings(sockets)
	return sockets, err
}

// OtherMastersAlive reports whether the registry lists a master, other
// than this process, whose process is alive. Masters of every build
// register, so it sees those that hold no other mark of running.
func OtherMastersAlive(stateDir string) bool {
	bySocket, _ := registeredEntries(stateDir)
	for _, paths := range bySocket {
		for _, path := range paths {
			pid, err := strconv.Atoi(path[strings.LastIndexByte(path, '.')+1:])
			if err == nil && pid != os.Getpid() && processAlive(pid) {
				return true
			}
		}
	}
	return false
}

// processAlive reports whether process pid exists. A process it may not
// signal exists too.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || !errors.Is(err, os.ErrProcessDone) && !errors.Is(err, syscall.ESRCH)
}

// forget removes every registry entry for socket but the live master's.
func forget(stateDir, socket string, livePid int) {
	bySocket, _ := registeredEntries(stateDir)
	for _, path := range bySocket[socket] {
		if livePid == 0 || !strings.HasSuffix(path, "."+strconv.Itoa(livePid)) {
			os.Remove(path)
		}
	}
}

// ErrStale is returned for a registered socket whose master is gone; the
// socket and its registry entry have been removed.
var ErrStale = errors.New("master is gone; cleaned up")

// Query sends a control operation to the master at socket and returns its
// reply. A socket nobody answers on is cleaned and reported as ErrStale.
func Query(stateDir, socket string, hello Hello) (Reply, error) {
	hello.Version = ProtocolVersion
	reply, err := query(stateDir, socket, hello)
	if v, skewed := skewOf(reply); err == nil && skewed {
		// A master of protocol 1 answers only its own version; status and
		// stop read the same in every version.
		hello.Version = v
		reply, err = query(stateDir, socket, hello)
	}
	if err != nil {
		return reply, err
	}
	if !reply.OK {
		return reply, fmt.Errorf("master %s: %s", socket, reply.Error)
	}
	if reply.Status != nil {
		fillStatus(reply.Status, socket)
		forget(stateDir, socket, reply.Status.Pid)
	}
	return reply, nil
}

// fillStatus completes the status of the master reached at socket: the
// protocol of a master from before the field, and socket itself, since a
// master moved aside by Retire still names the path it was started on.
func fillStatus(s *Status, socket string) {
	if s.Protocol == 0 {
		s.Protocol = legacyVersion
	}
	s.Socket = socket
}

// query sends hello to the master at socket and reads its reply, after
// sysio.DialMaster's checks of the socket and the master.
func query(stateDir, socket string, hello Hello) (Reply, error) {
	conn, err := sysio.DialMaster(socket, 2*time.Second)
	if err != nil {
		if isGone(err) {
			// A socket file nobody listens on is removed; a missing one
			// is not, or a master publishing there meanwhile would lose
			// its socket.
			if errors.Is(err, syscall.ECONNREFUSED) {
				os.Remove(socket)
			}
			forget(stateDir, socket, 0)
			return Reply{}, fmt.Errorf("%s: %w", socket, ErrStale)
		}
		return Reply{}, fmt.Errorf("dial master %s: %w", socket, err)
	}
	defer conn.Close()
	reply, err := Exchange(conn, hello)
	if err != nil {
		return reply, fmt.Errorf("master %s: %w", socket, err)
	}
	return reply, nil
}

// isGone reports whether a dial error means no master listens there.
func isGone(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOENT)
}
