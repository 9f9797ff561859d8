//go:build !linux

package sysio

import "net"

// RawIO returns conn: raw system calls are used on Linux only, where they
// were measured (rawio_linux.go).
func RawIO(conn net.Conn) net.Conn { return conn }
