//go:build linux || darwin

package sysio

import (
	"net"
	"syscall"
)

// rawConns returns the system connections conn reads and writes, if it
// has descriptors of its own.
func rawConns(conn net.Conn) (r, w syscall.RawConn, ok bool) {
	var rerr, werr error
	switch c := conn.(type) {
	case *stdioConn:
		if c.shared {
			return nil, nil, false
		}
		r, rerr = c.r.SyscallConn()
		w, werr = c.w.SyscallConn()
	case syscall.Conn:
		r, rerr = c.SyscallConn()
		w = r
	default:
		return nil, nil, false
	}
	return r, w, rerr == nil && werr == nil
}
