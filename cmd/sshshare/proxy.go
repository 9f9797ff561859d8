package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/invoke"
	"github.com/sshshare/sshshare/share/upstream"
)

// ProxyCmd is the ProxyCommand: sshshare USER HOST PORT.
type ProxyCmd struct {
	TargetFlags
}

// Run connects stdio to the target's master (share mode) or through the
// jump hosts' masters to the target (tunnel mode).
func (c ProxyCmd) Run(log *slog.Logger) error {
	// ssh sends SIGHUP as it exits; finish printing why the session ended
	// instead (Splice bounds how long we stay).
	signal.Ignore(syscall.SIGHUP)
	if c.Via != "" {
		return c.runTunnel(log)
	}
	inv, err := c.withView().invocation(log, control.OpShare)
	if err != nil {
		return err
	}
	return inv.Run(context.Background(), os.Stdin, os.Stdout)
}

// runTunnel splices stdio to the target through the last jump host.
func (c ProxyCmd) runTunnel(log *slog.Logger) error {
	port, err := upstream.ParsePort(c.Port)
	if err != nil {
		return err
	}
	chain, err := c.chain(log)
	if err != nil {
		return err
	}
	conn, err := chain.Dial(context.Background(), c.Host, port)
	if err != nil {
		return err
	}
	defer conn.Close()
	err = invoke.Splice(conn, os.Stdin, os.Stdout)
	if stopped := chain.Last().Stopped(conn); stopped != nil {
		return stopped
	}
	return err
}
