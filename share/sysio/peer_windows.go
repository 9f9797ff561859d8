package sysio

import (
	"errors"
	"fmt"
	"net"
	"sync"

	"golang.org/x/sys/windows"
)

// ownSID returns the user SID this process runs as; tests replace it to
// see a peer of another user refused (Wine gives every process one SID).
var ownSID = sync.OnceValues(func() (*windows.SID, error) {
	var t windows.Token
	if err := windows.OpenProcessToken(windows.CurrentProcess(), windows.TOKEN_QUERY, &t); err != nil {
		return nil, fmt.Errorf("open own token: %w", err)
	}
	defer t.Close()
	return tokenSID(t)
})

// localSystem is the SID of LocalSystem, admitted as root is on Unix.
var localSystem = sync.OnceValue(func() *windows.SID {
	sid, _ := windows.CreateWellKnownSid(windows.WinLocalSystemSid)
	return sid
})

// tokenSID is the user SID of a token.
func tokenSID(t windows.Token) (*windows.SID, error) {
	user, err := t.GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("token user: %w", err)
	}
	return user.User.Sid.Copy()
}

// processSID is the user SID of process pid.
func processSID(pid uint32) (*windows.SID, error) {
	p, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return nil, fmt.Errorf("open process %d: %w", pid, err)
	}
	defer windows.CloseHandle(p)
	var t windows.Token
	if err := windows.OpenProcessToken(p, windows.TOKEN_QUERY, &t); err != nil {
		return nil, fmt.Errorf("open token of process %d: %w", pid, err)
	}
	defer t.Close()
	return tokenSID(t)
}

// peerSID is the user SID of the process at the other end of conn, a
// pipe connection, and that process's id.
func peerSID(conn net.Conn) (*windows.SID, uint32, error) {
	pc, ok := conn.(*pipeConn)
	if !ok {
		return nil, 0, errors.New("not a named pipe")
	}
	pid, err := pc.peerPID()
	if err != nil {
		return nil, 0, fmt.Errorf("pipe peer process: %w", err)
	}
	sid, err := processSID(pid)
	return sid, pid, err
}

// peerPID returns the pid of the process at the other end of a pipe
// connection.
func peerPID(conn net.Conn) (int, error) {
	pc, ok := conn.(*pipeConn)
	if !ok {
		return -1, errors.New("not a named pipe")
	}
	pid, err := pc.peerPID()
	return int(pid), err
}

// CheckPeer admits a local connection only from a process of the master's
// own user or of LocalSystem (as root is on Unix), by the SID of the
// client process's token. The pipe's DACL is the first guard, this is the
// second.
func CheckPeer(conn net.Conn) error {
	self, err := ownSID()
	if err != nil {
		return fmt.Errorf("own user: %w", err)
	}
	sid, pid, err := peerSID(conn)
	if err != nil {
		return fmt.Errorf("peer credentials: %w", err)
	}
	if !sid.Equals(self) && (localSystem() == nil || !sid.Equals(localSystem())) {
		return fmt.Errorf("peer process %d runs as %s, not as the owner (%s)", pid, sid, self)
	}
	return nil
}

// checkMaster requires the process serving the pipe at the other end of
// conn to run as the current user. LocalSystem is not admitted: such a
// master would be handed this user's stdio.
func checkMaster(path string, conn net.Conn) error {
	self, err := ownSID()
	if err != nil {
		return &SocketError{Path: path, Problem: "cannot tell who you are: " + err.Error()}
	}
	sid, pid, err := peerSID(conn)
	if err != nil {
		return &SocketError{Path: path, Problem: "cannot tell who serves it: " + err.Error()}
	}
	if !sid.Equals(self) {
		return &SocketError{Path: path, Problem: fmt.Sprintf("is served by process %d of %s, not by you (%s)", pid, sid, self)}
	}
	return nil
}
