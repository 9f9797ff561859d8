//go:build !unix

package share

import (
	"errors"
	"net"
	"os"
)

// canPassFds: no fd passing over sockets on this platform; invocations
// splice.
const canPassFds = false

var errNoFdPassing = errors.New("passing fds is not supported on this platform")

func sendStdio(net.Conn, *os.File, *os.File) error { return errNoFdPassing }

func recvStdio(net.Conn) (*stdioConn, error) { return nil, errNoFdPassing }
