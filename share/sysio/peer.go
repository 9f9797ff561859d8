package sysio

import (
	"fmt"
	"net"
)

// CheckPeer admits a local connection only from the master's own user or
// root, as OpenSSH's mux does: the socket's permissions are the first
// guard, this is the second.
func CheckPeer(conn net.Conn) error {
	uid, err := peerUID(conn)
	if err != nil {
		return fmt.Errorf("peer credentials: %w", err)
	}
	if uid != selfUID() && uid != 0 {
		return fmt.Errorf("peer uid %d is not the owner (uid %d)", uid, selfUID())
	}
	return nil
}

// controlFD runs f on the file descriptor of conn, a Unix socket.
func controlFD(conn net.Conn, f func(fd uintptr) error) error {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return fmt.Errorf("not a unix socket")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := raw.Control(func(fd uintptr) { ferr = f(fd) }); err != nil {
		return err
	}
	return ferr
}
