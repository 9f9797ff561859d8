package share

import (
	"fmt"
	"net"
)

// checkPeer admits a local connection only from the master's own user or
// root, as OpenSSH's mux does: the socket's permissions are the first
// guard, this is the second.
func checkPeer(conn net.Conn) error {
	uid, err := peerUID(conn)
	if err != nil {
		return fmt.Errorf("peer credentials: %w", err)
	}
	if uid != selfUID() && uid != 0 {
		return fmt.Errorf("peer uid %d is not the owner (uid %d)", uid, selfUID())
	}
	return nil
}
