package control

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/sshshare/sshshare/share/sysio"
)

// HelloTimeout bounds a master's answer to a hello, and the hello a master
// waits for on a new connection.
const HelloTimeout = 10 * time.Second

// LoginWait bounds how long a share or tunnel hello, and an invocation
// holding the start-up lock, wait for a login that asks the user
// questions. The invocation that starts a master holds the start-up lock
// for the whole login, so invocations waiting for that lock wait as long.
const LoginWait = 10 * time.Minute

// Dial connects to the master at socket and asks for hello's operation,
// returning a *Conn. A refusal by a working master (not a dying one) is a
// *RefusedError; a master of another protocol version is a *SkewError.
// Nothing is sent before sysio.DialMaster has checked that the socket, its
// directory and the process serving it are the user's own: an unsafe one
// is a *sysio.DirError or *sysio.SocketError.
func Dial(socket string, hello Hello) (net.Conn, error) {
	conn, err := sysio.DialMaster(socket, 0)
	if err != nil {
		return nil, err
	}
	reply, err := Exchange(conn, hello)
	if v, skewed := skewOf(reply); skewed {
		conn.Close()
		return nil, &SkewError{Socket: socket, Master: v}
	}
	if err == nil && !reply.OK {
		err = errors.New(reply.Error)
		if !reply.Retry {
			err = &RefusedError{Reason: reply.Error, Fix: reply.Hint}
		}
	}
	var refused *RefusedError
	if errors.As(err, &refused) {
		conn.Close()
		return nil, err
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("master %s: %w", socket, err)
	}
	return &Conn{Conn: conn, Pid: reply.Pid, Stdio: reply.Stdio}, nil
}

// RefusedError is a working master's refusal of an operation, such as a
// tunnel to a target the bastion cannot reach. Starting another master
// would not help.
type RefusedError struct {
	Reason string
	Fix    string
}

func (e *RefusedError) Error() string { return e.Reason }

// Hint is the fix the master suggested, if any.
func (e *RefusedError) Hint() string { return e.Fix }

// Exchange sends a hello and reads the reply, bounded by HelloTimeout; a
// share or tunnel hello may wait for the master's login, up to LoginWait.
func Exchange(conn net.Conn, hello Hello) (Reply, error) {
	var reply Reply
	conn.SetDeadline(time.Now().Add(HelloTimeout))
	defer conn.SetDeadline(time.Time{})
	if err := WriteFrame(conn, hello); err != nil {
		return reply, err
	}
	if hello.Op == OpShare || hello.Op == OpTunnel {
		conn.SetReadDeadline(time.Now().Add(LoginWait))
	}
	err := ReadFrame(conn, &reply)
	return reply, err
}

// Conn is a connection a master accepted, and that master's pid.
type Conn struct {
	net.Conn
	Pid   int  // the master's process id
	Stdio bool // the master takes the invocation's stdio
}

// CloseWrite half-closes the connection: the master sees ssh's EOF.
func (c *Conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
