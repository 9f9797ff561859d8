package harness

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// The test binary doubles as small programs the tests need where Debian
// installs none (nc, socat): TestMain calls RunHelper first, and a test
// names a helper by running the test binary with the helper's name as its
// first argument.
const (
	relayHelper = "sshshare-test-relay"
	netnsHelper = "sshshare-test-netns"
)

// RunHelper runs the helper os.Args names and exits, or returns at once
// when the process is an ordinary test run. Call it first in TestMain.
func RunHelper() {
	if len(os.Args) < 2 {
		return
	}
	var err error
	switch os.Args[1] {
	case relayHelper:
		err = runRelay(os.Args[2:])
	case netnsHelper:
		err = runNetNS(os.Args[2:])
	default:
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	os.Exit(0)
}

// selfPath is the test binary's absolute path, to run its helpers.
func selfPath(tb TB) string {
	tb.Helper()
	self, err := os.Executable()
	if err != nil {
		tb.Fatalf("test binary: %v", err)
	}
	return self
}

// Flags of RelayCommand, for relays that do not go quietly.
const (
	// RelayStay keeps the relay's connection after its stdin ends, as nc
	// without -N does: only a signal ends it.
	RelayStay = "--stay"
	// RelayNoHup makes the relay ignore SIGHUP: only SIGKILL ends it.
	RelayNoHup = "--nohup"
)

// RelayCommand is a ProxyCommand line that relays its stdio to addr, as
// `nc HOST PORT` does: addr is HOST:PORT (ssh's %-tokens allowed) or
// unix:PATH. It first prints say, if not empty, on its stderr. flags are
// RelayStay and RelayNoHup.
func RelayCommand(tb TB, addr, say string, flags ...string) string {
	tb.Helper()
	line := selfPath(tb) + " " + relayHelper
	for _, f := range flags {
		line += " " + f
	}
	if say != "" {
		line += " --say '" + strings.ReplaceAll(say, "'", "") + "'"
	}
	return line + " " + addr
}

// runRelay is the relay helper: [--stay] [--nohup] [--say LINE] ADDR.
func runRelay(args []string) error {
	stay := false
	for len(args) > 1 {
		switch args[0] {
		case RelayStay:
			stay = true
		case RelayNoHup:
			signal.Ignore(syscall.SIGHUP)
		case "--say":
			fmt.Fprintln(os.Stderr, args[1])
			args = args[1:]
		default:
			return fmt.Errorf("unknown flag %q", args[0])
		}
		args = args[1:]
	}
	if len(args) != 1 {
		return fmt.Errorf("usage: [--stay] [--nohup] [--say LINE] HOST:PORT|unix:PATH")
	}
	conn, err := dialAddr(args[0])
	if err != nil {
		return err
	}
	defer conn.Close()
	go func() {
		io.Copy(conn, os.Stdin)
		if cw, ok := conn.(interface{ CloseWrite() error }); ok && !stay {
			cw.CloseWrite()
		}
	}()
	_, err = io.Copy(os.Stdout, conn)
	return err
}

// dialAddr dials HOST:PORT over TCP or unix:PATH.
func dialAddr(addr string) (net.Conn, error) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		return net.DialTimeout("unix", path, 5*time.Second)
	}
	return net.DialTimeout("tcp", addr, 5*time.Second)
}

// forward accepts on ln until it is closed, relaying each connection to
// what dial opens, both ways.
func forward(ln net.Listener, dial func() (net.Conn, error)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			up, err := dial()
			if err != nil {
				return
			}
			defer up.Close()
			done := make(chan struct{})
			go func() {
				io.Copy(up, c)
				if cw, ok := up.(interface{ CloseWrite() error }); ok {
					cw.CloseWrite()
				}
				close(done)
			}()
			io.Copy(c, up)
			if cw, ok := c.(interface{ CloseWrite() error }); ok {
				cw.CloseWrite()
			}
			<-done
		}()
	}
}
