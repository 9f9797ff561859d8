//go:build !windows

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

// peerPID returns the pid of the process at the other end of a Unix
// socket, as the kernel recorded it at connect.
func peerPID(conn net.Conn) (int, error) {
	pid := -1
	err := controlFD(conn, func(fd uintptr) error {
		var err error
		pid, err = sockoptPeerPID(int(fd))
		return err
	})
	return pid, err
}

// controlFD runs f on the file descriptor of conn, a Unix socket.
func controlFD(conn net.Conn, f func(fd uintptr) error) error {
	uc, err := unixConn(conn)
	if err != nil {
		return err
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

// checkMaster requires the process listening at the other end of conn to
// run as the current user. Unlike CheckPeer (the master's check of its
// clients) root is not admitted: a master of root's would be handed this
// user's stdio.
func checkMaster(path string, conn net.Conn) error {
	uid, err := peerUID(conn)
	if err != nil {
		return &SocketError{Path: path, Problem: "cannot tell who serves it: " + err.Error()}
	}
	if uid != selfUID() {
		return &SocketError{
			Path:    path,
			Problem: fmt.Sprintf("is served by a process of uid %d, not by you (uid %d)", uid, selfUID()),
		}
	}
	return nil
}
