//go:build !linux

package sysio

import (
	"io"
	"net"
)

// RawIO returns conn: raw system calls are used on Linux only, where they
// were measured (rawio_linux.go).
func RawIO(conn net.Conn) net.Conn { return conn }

// Raw returns f itself: raw system calls are Linux's only.
func (f *ClientFile) Raw() io.ReadWriter { return f }
