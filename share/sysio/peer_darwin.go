//go:build darwin

package sysio

import (
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// peerUID returns the uid of the process at the other end of a Unix socket
// (getpeereid's LOCAL_PEERCRED).
func peerUID(conn net.Conn) (int, error) {
	uid := -1
	err := controlFD(conn, func(fd uintptr) error {
		cred, err := unix.GetsockoptXucred(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
		if err == nil {
			uid = int(cred.Uid)
		}
		return err
	})
	if err != nil {
		return -1, fmt.Errorf("LOCAL_PEERCRED: %w", err)
	}
	return uid, nil
}

// selfUID is the uid the master runs as.
func selfUID() int { return os.Getuid() }
