package sysio

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"
)

// SocketError reports a master's socket that sshshare will not talk to:
// not a socket, not the current user's, or served by a process of another
// user. Whoever answers there would receive ssh's stdio, and with it the
// user's password and commands.
type SocketError struct {
	Path    string
	Problem string // e.g. "is owned by uid 1003, not by you (uid 1002)"
}

// Error describes the socket and what is wrong with it.
func (e *SocketError) Error() string {
	return "unsafe master socket " + e.Path + ": " + e.Problem
}

// Hint returns how to fix it: whatever is wrong, the socket is to be
// removed and kept somewhere only the user can write.
func (e *SocketError) Hint() string {
	return "someone else may be impersonating your master; remove " + e.Path +
		" (or ask root to), and keep --control-path in a directory only you can write, such as ~/.ssh/sshshare"
}

// DialMaster connects to the master's socket at path, after checking, with
// a couple of system calls and before any byte is sent, that only the
// current user could have put a master there: the socket's directory must
// pass CheckPrivateDir, and the socket must be a socket owned by the
// current user (both by Lstat, never following a symlink). After
// connecting, the process listening must run as the current user, as the
// kernel recorded it at connect (SO_PEERCRED, LOCAL_PEERCRED): this last
// check holds whatever happened to the path meanwhile. An unsafe
// directory is a *DirError, an unsafe socket or master a *SocketError; a
// missing directory or socket is an error matching fs.ErrNotExist. A
// timeout of zero means none.
func DialMaster(path string, timeout time.Duration) (net.Conn, error) {
	if err := CheckPrivateDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	info, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("check master socket: %w", err)
	}
	if err := checkSocketFile(path, info); err != nil {
		return nil, err
	}
	conn, err := dialSocket(path, timeout)
	if err != nil {
		return nil, err
	}
	if err := checkMaster(path, conn); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}
