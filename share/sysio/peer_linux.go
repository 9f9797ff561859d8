//go:build linux

package sysio

// peerCredOption names the socket option sockoptPeerUID reads, for errors.
const peerCredOption = "SO_PEERCRED"

// sockoptPeerUID reads the peer's uid from SO_PEERCRED, with a raw
// getsockopt (rawsys_linux.go).
func sockoptPeerUID(fd int) (int, error) {
	cred, err := rawPeerCred(fd)
	if err != nil {
		return -1, err
	}
	return int(cred.Uid), nil
}

// sockoptPeerPID reads the peer's pid from SO_PEERCRED.
func sockoptPeerPID(fd int) (int, error) {
	cred, err := rawPeerCred(fd)
	if err != nil {
		return -1, err
	}
	return int(cred.Pid), nil
}
