//go:build !unix

package sysio

import (
	"errors"
	"net"
	"os"
)

// CanPassFds: no fd passing over sockets on this platform; invocations
// splice.
const CanPassFds = false

var errNoFdPassing = errors.New("passing fds is not supported on this platform")

func SendStdio(net.Conn, *os.File, *os.File) error { return errNoFdPassing }

func RecvStdio(net.Conn) (net.Conn, error) { return nil, errNoFdPassing }
