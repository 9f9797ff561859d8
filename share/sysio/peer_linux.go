//go:build linux

package sysio

import (
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// peerUID returns the uid of the process at the other end of a Unix socket.
func peerUID(conn net.Conn) (int, error) {
	uid := -1
	err := controlFD(conn, func(fd uintptr) error {
		cred, err := unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
		if err == nil {
			uid = int(cred.Uid)
		}
		return err
	})
	if err != nil {
		return -1, fmt.Errorf("SO_PEERCRED: %w", err)
	}
	return uid, nil
}

// selfUID is the uid the master runs as.
func selfUID() int { return os.Getuid() }
