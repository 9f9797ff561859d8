//go:build linux || darwin

package sysio

import (
	"fmt"
	"net"
	"os"
)

// peerUID returns the uid of the process at the other end of a Unix socket,
// as the kernel recorded it at connect (see sockoptPeerUID).
func peerUID(conn net.Conn) (int, error) {
	uid := -1
	err := controlFD(conn, func(fd uintptr) error {
		var err error
		uid, err = sockoptPeerUID(int(fd))
		return err
	})
	if err != nil {
		return -1, fmt.Errorf("%s: %w", peerCredOption, err)
	}
	return uid, nil
}

// selfUID is the uid the master runs as.
func selfUID() int { return os.Getuid() }
