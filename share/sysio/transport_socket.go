//go:build !windows

package sysio

import (
	"fmt"
	"io/fs"
	"net"
	"time"
)

// Listen listens on a Unix socket at path, to be published (renamed into
// place) by the caller; closing the listener does not remove the file.
func Listen(path string) (net.Listener, error) {
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(false)
	return ln, nil
}

// dialSocket connects to the Unix socket at path.
func dialSocket(path string, timeout time.Duration) (net.Conn, error) {
	return net.DialTimeout("unix", path, timeout)
}

// IsSocketFile reports whether info, an Lstat, describes what a master
// publishes at its socket path: a socket.
func IsSocketFile(info fs.FileInfo) bool { return info.Mode()&fs.ModeSocket != 0 }
