package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/sshshare/sshshare/share"
)

// StartCmd starts a master now, like `ssh -fN host` with ControlMaster:
// it prompts on this terminal and returns when the master is ready.
type StartCmd struct {
	Target      string        `arg:"" help:"[user@]host[:port] to log in to; the ssh config's HostName, User and Port apply."`
	ConfigFile  string        `short:"F" name:"config" env:"SSHSHARE_CONFIG" placeholder:"FILE" help:"Read this ssh config file instead of the default, like ssh's -F."`
	ControlPath string        `name:"control-path" default:"${control_path}" env:"SSHSHARE_CONTROL_PATH" help:"Socket path template, with ControlPath's tokens (%r %h %p %C ...)."`
	Persist     time.Duration `default:"120s" env:"SSHSHARE_PERSIST" help:"How long the master stays after its last client left."`
	Via         string        `placeholder:"[USER@]JUMP[:PORT],..." help:"Start the tunnel-mode masters of these jump hosts instead; TARGET is then the last one."`
}

// Run starts the master and answers its login questions here, then prints
// the socket path.
func (c StartCmd) Run(stdout io.Writer, log *slog.Logger) error {
	ctx := context.Background()
	chain, err := c.chain(ctx, log)
	if err != nil {
		return err
	}
	for _, inv := range chain {
		if err := inv.EnsureLoggedIn(ctx); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintln(stdout, chain[len(chain)-1].Socket)
	return err
}

// chain is the invocations of the masters to start: the target's alone in
// share mode; with --via, each jump host's and then the target as the last
// jump host, keyed exactly as the ProxyCommand keys them.
func (c StartCmd) chain(ctx context.Context, log *slog.Logger) ([]*share.Invocation, error) {
	if c.Via == "" {
		flags, err := c.resolve(ctx)
		if err != nil {
			return nil, err
		}
		inv, err := flags.invocation(log, share.OpShare)
		if err != nil {
			return nil, err
		}
		return []*share.Invocation{inv}, nil
	}
	flags := TargetFlags{ConfigFile: c.ConfigFile, ControlPath: c.ControlPath, Persist: c.Persist,
		Via: c.Via + "," + c.Target}
	return jumpChain(flags, log)
}

// resolve asks ssh -G for the target's user, host name and port, as the
// ProxyCommand would receive them in %r %h %p, so both find one socket.
func (c StartCmd) resolve(ctx context.Context) (TargetFlags, error) {
	t, err := share.ParseTarget(c.Target)
	if err != nil {
		return TargetFlags{}, err
	}
	t.Alias = t.Host
	cfg, err := share.ConfigLoader{ConfigFile: c.ConfigFile}.Load(ctx, t)
	if err != nil {
		return TargetFlags{}, err
	}
	return TargetFlags{
		ConfigFile: c.ConfigFile, Alias: t.Alias, ControlPath: c.ControlPath, Persist: c.Persist,
		User: cfg.User, Host: cfg.HostName, Port: strconv.Itoa(cfg.Port),
	}, nil
}
