package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
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
}

// Run resolves the target as ssh would, connects to (or starts) its master
// and answers the master's login questions here.
func (c StartCmd) Run(stdout io.Writer, log *slog.Logger) error {
	flags, err := c.resolve()
	if err != nil {
		return err
	}
	target, err := flags.target()
	if err != nil {
		return err
	}
	socket, err := flags.socket()
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	args := flags.masterArgs(socket)
	inv := &share.Invocation{
		Target: target, Socket: socket, Log: log, LockWait: 10 * time.Minute,
		Spawn: func(ctx context.Context) (*share.Starting, error) { return share.SpawnMaster(ctx, exe, args) },
	}
	if err := c.login(inv, target); err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, socket)
	return err
}

// login connects to the master and waits for its login, prompting here.
func (c StartCmd) login(inv *share.Invocation, target share.Target) error {
	ctx := context.Background()
	conn, starting, err := inv.Connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	stateDir, err := stateDir()
	if err != nil {
		return err
	}
	hostKey, err := share.HostKey(stateDir)
	if err != nil {
		return err
	}
	loginErr := share.StartClient(ctx, conn, hostKey.PublicKey(), target.User, terminalPrompt)
	if starting != nil {
		if err := starting.Wait(); err != nil {
			return err
		}
	}
	return loginErr
}

// resolve asks ssh -G for the target's user, host name and port, as the
// ProxyCommand would receive them in %r %h %p, so both find one socket.
func (c StartCmd) resolve() (TargetFlags, error) {
	t, err := share.ParseTarget(c.Target)
	if err != nil {
		return TargetFlags{}, err
	}
	t.Alias = t.Host
	cfg, err := share.ConfigLoader{ConfigFile: c.ConfigFile}.Load(context.Background(), t)
	if err != nil {
		return TargetFlags{}, err
	}
	return TargetFlags{
		ConfigFile: c.ConfigFile, Alias: t.Alias, ControlPath: c.ControlPath, Persist: c.Persist,
		User: cfg.User, Host: cfg.HostName, Port: strconv.Itoa(cfg.Port),
	}, nil
}
