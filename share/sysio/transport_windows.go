package sysio

import (
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"time"
)

// On Windows the file at a master's socket path is a marker, not a
// socket: it holds the name of the pipe the master listens on (see
// pipe_windows.go). It is published, moved aside, scanned and removed as a
// socket file is on Unix, so the registry, status, stop and retiring an
// old master work alike; the pipe is what carries the bytes.

// maxMarker bounds what is read of a marker: one pipe name.
const maxMarker = 256

// Listen listens for a master's clients on a new named pipe and records
// its name in a new marker file at path, mode 0600; the caller publishes
// the file (renames it into place). The listener does not remove it.
func Listen(path string) (net.Listener, error) {
	self, err := ownSID()
	if err != nil {
		return nil, fmt.Errorf("listen on %s: own user: %w", path, err)
	}
	name, err := pipeName(self, path)
	if err != nil {
		return nil, err
	}
	ln, err := listenPipe(name, self)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	if err := writeMarker(path, name); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// writeMarker creates the marker at path, naming the pipe.
func writeMarker(path, name string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", path, err)
	}
	_, err = f.WriteString(name + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// readMarker returns the pipe name the marker at path records.
func readMarker(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxMarker))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	name := strings.TrimSpace(string(b))
	if !pipeNamePattern.MatchString(name) {
		return "", &SocketError{Path: path, Problem: fmt.Sprintf("does not name an sshshare pipe (%.60q)", name)}
	}
	return name, nil
}

// dialSocket connects to the master whose marker is at path. A marker
// whose pipe is gone is syscall.ECONNREFUSED, as a Unix socket nobody
// listens on.
func dialSocket(path string, timeout time.Duration) (net.Conn, error) {
	name, err := readMarker(path)
	if err != nil {
		return nil, err
	}
	return dialPipe(name, timeout)
}

// IsSocketFile reports whether info, an Lstat, describes what a master
// publishes at its socket path: here, a regular file (a marker).
func IsSocketFile(info fs.FileInfo) bool { return info.Mode().IsRegular() }
