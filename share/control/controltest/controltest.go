// Package controltest fakes a master's side of the control protocol for
// the tests of the packages that speak it.
package controltest

import (
	"net"
	"os"
	"testing"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/sysio"
)

// FakeMaster answers one control connection on socket with reply, hands
// the connection to serve if it is set, and returns the hello it received.
func FakeMaster(t testing.TB, socket string, reply control.Reply, serve ...func(net.Conn, control.Hello)) <-chan control.Hello {
	t.Helper()
	ln := listen(t, socket)
	hellos := make(chan control.Hello, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		h, err := control.ReadHello(conn)
		if err != nil {
			return
		}
		hellos <- h
		if control.WriteFrame(conn, reply) == nil {
			for _, f := range serve {
				f(conn, h)
			}
		}
	}()
	return hellos
}

// AnswerAll answers every control connection on socket with reply, until
// the test ends, and returns the socket's listener.
func AnswerAll(t testing.TB, socket string, reply control.Reply) net.Listener {
	t.Helper()
	ln := listen(t, socket)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			if _, err := control.ReadHello(conn); err == nil {
				control.WriteFrame(conn, reply)
			}
			conn.Close()
		}
	}()
	return ln
}

// listen listens as a master does at socket (on Windows, a named pipe and
// its marker), until the test ends.
func listen(t testing.TB, socket string) net.Listener {
	t.Helper()
	ln, err := sysio.Listen(socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ln.Close()
		os.Remove(socket)
	})
	return ln
}
