package sysio

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// SocketState is what ProbeSocket found at a path.
type SocketState int

// The states ProbeSocket tells apart.
const (
	SocketAbsent SocketState = iota // nothing there, or not a socket
	SocketLive                      // something accepts connections there
	SocketStale                     // a socket nobody listens on
)

// probeWait bounds ProbeSocket's connect.
const probeWait = time.Second

// ProbeSocket tells whether a master's socket at path (on Windows, its
// marker and pipe) has a listener. It connects and closes at once; a
// listener sees a connection that says nothing.
func ProbeSocket(path string) SocketState {
	info, err := os.Lstat(path)
	if err != nil || !IsSocketFile(info) {
		return SocketAbsent
	}
	conn, err := dialSocket(path, probeWait)
	if err == nil {
		conn.Close()
		return SocketLive
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return SocketStale
	}
	return SocketAbsent
}
