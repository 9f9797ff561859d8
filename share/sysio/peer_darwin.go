//go:build darwin

package sysio

import "golang.org/x/sys/unix"

// peerCredOption names the socket option sockoptPeerUID reads, for errors.
const peerCredOption = "LOCAL_PEERCRED"

// sockoptPeerUID reads the peer's uid from LOCAL_PEERCRED (getpeereid).
func sockoptPeerUID(fd int) (int, error) {
	cred, err := unix.GetsockoptXucred(fd, unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	if err != nil {
		return -1, err
	}
	return int(cred.Uid), nil
}

// sockoptPeerPID reads the peer's pid from LOCAL_PEERPID.
func sockoptPeerPID(fd int) (int, error) {
	return unix.GetsockoptInt(fd, unix.SOL_LOCAL, unix.LOCAL_PEERPID)
}
