//go:build !linux && !darwin && !windows

package sysio

import (
	"errors"
	"net"
)

// peerUID is not implemented on this platform yet; the socket's directory is
// the only guard there, so every connection is refused until it is.
func peerUID(net.Conn) (int, error) {
	return -1, errors.New("peer credentials are not supported on this platform yet")
}

// selfUID has no meaning here.
func selfUID() int { return -2 }

// sockoptPeerPID is not implemented on this platform.
func sockoptPeerPID(int) (int, error) {
	return -1, errors.New("peer credentials are not supported on this platform yet")
}
