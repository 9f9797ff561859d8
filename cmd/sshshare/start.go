package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/invoke"
	"github.com/sshshare/sshshare/share/upstream"
)

// StartCmd starts a master now, like `ssh -fN host` with ControlMaster:
// it prompts on this terminal and returns when the master is ready.
type StartCmd struct {
	MasterFlags
	Target string `arg:"" help:"[user@]host[:port] to log in to; the ssh config's HostName, User and Port apply. With --via, the tunnel-mode masters of the jump hosts are started, TARGET as the last one."`
}

// Run starts the master and answers its login questions here, then prints
// the socket path.
func (c StartCmd) Run(stdout io.Writer, log *slog.Logger) error {
	ctx := context.Background()
	chain, err := c.chain(ctx, log)
	if err != nil {
		return err
	}
	if err := chain.EnsureLoggedIn(ctx); err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, chain.Last().Socket)
	return err
}

// chain is the invocations of the masters to start: the target's alone in
// share mode; with --via, each jump host's and then the target as the last
// jump host, keyed exactly as the ProxyCommand keys them.
func (c StartCmd) chain(ctx context.Context, log *slog.Logger) (*invoke.Chain, error) {
	if c.Via == "" {
		flags, err := c.resolve(ctx)
		if err != nil {
			return nil, err
		}
		inv, err := flags.invocation(log, control.OpShare)
		if err != nil {
			return nil, err
		}
		return &invoke.Chain{Hops: []*invoke.Invocation{inv}}, nil
	}
	flags := c.MasterFlags
	flags.Via += "," + c.Target
	return flags.chain(log)
}

// resolve asks ssh -G for the target's user, host name and port, as the
// ProxyCommand would receive them in %r %h %p, so both find one socket.
func (c StartCmd) resolve(ctx context.Context) (TargetFlags, error) {
	t, err := upstream.ParseTarget(c.Target)
	if err != nil {
		return TargetFlags{}, err
	}
	t.Alias = t.Host
	cfg, err := c.loader(nil).Load(ctx, t)
	if err != nil {
		return TargetFlags{}, err
	}
	return TargetFlags{
		MasterFlags: c.MasterFlags, Alias: t.Alias,
		User: cfg.User, Host: cfg.HostName, Port: strconv.Itoa(cfg.Port),
	}, nil
}
