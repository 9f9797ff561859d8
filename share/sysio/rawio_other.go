//go:build !linux

package share

import "net"

// rawIO returns conn: raw system calls are used on Linux only, where they
// were measured (rawio_linux.go).
func rawIO(conn net.Conn) net.Conn { return conn }
