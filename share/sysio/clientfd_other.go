//go:build !unix

package sysio

import (
	"errors"
	"net"
)

var errNoClientFds = errors.New("receiving descriptors is not supported on this platform")

// RecvFds is not supported here: OpenSSH for Windows has no mux client.
func RecvFds(FdConn, int) ([]int, error) { return nil, errNoClientFds }

// AdoptClientFd is not supported here.
func AdoptClientFd(int, string, bool) (*ClientFile, error) { return nil, errNoClientFds }

// CloseFds does nothing here.
func CloseFds([]int) {}

// UnixConn returns conn as an FdConn, if it is a Unix socket.
func UnixConn(conn net.Conn) (FdConn, error) {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return nil, errors.New("not a Unix socket")
	}
	return uc, nil
}
