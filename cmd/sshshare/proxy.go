package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/sshshare/sshshare/share"
	"github.com/sshshare/sshshare/tokens"
)

// TargetFlags name a master: where it connects and how it reads the user's
// ssh config. The proxy and master commands share them.
type TargetFlags struct {
	ConfigFile  string        `short:"F" name:"config" env:"SSHSHARE_CONFIG" placeholder:"FILE" help:"Read this ssh config file instead of the default, like ssh's -F."`
	Alias       string        `help:"Host name as typed (pass %n), so Host-alias blocks of the ssh config apply."`
	ControlPath string        `name:"control-path" default:"${control_path}" env:"SSHSHARE_CONTROL_PATH" help:"Socket path template, with ControlPath's tokens (%r %h %p %C ...)."`
	Persist     time.Duration `default:"120s" env:"SSHSHARE_PERSIST" help:"How long a master stays after its last client left."`
	User        string        `arg:"" help:"Remote user (%r)."`
	Host        string        `arg:"" help:"Remote host (%h)."`
	Port        string        `arg:"" help:"Remote port (%p)."`
}

// target is the share.Target the flags name.
func (f TargetFlags) target() (share.Target, error) {
	port, err := share.ParsePort(f.Port)
	if err != nil {
		return share.Target{}, err
	}
	return share.Target{User: f.User, Host: f.Host, Port: port, Alias: f.Alias}, nil
}

// socket expands the control path for the target.
func (f TargetFlags) socket() (string, error) {
	values, err := tokens.Local(f.User, f.Host, f.Port, f.Alias)
	if err != nil {
		return "", err
	}
	return tokens.SocketPath(f.ControlPath, values)
}

// masterArgs are the arguments that start a master for these flags.
func (f TargetFlags) masterArgs(socket string) []string {
	args := []string{"master", "--socket", socket, "--persist", f.Persist.String(),
		"--control-path", f.ControlPath}
	if f.ConfigFile != "" {
		args = append(args, "-F", f.ConfigFile)
	}
	if f.Alias != "" {
		args = append(args, "--alias", f.Alias)
	}
	return append(args, "--", f.User, f.Host, f.Port)
}

// ProxyCmd is the ProxyCommand: sshshare USER HOST PORT.
type ProxyCmd struct {
	TargetFlags
}

// Run connects stdio to the target's master, starting it if needed.
func (c ProxyCmd) Run(log *slog.Logger) error {
	target, err := c.target()
	if err != nil {
		return err
	}
	socket, err := c.socket()
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	args := c.masterArgs(socket)
	inv := &share.Invocation{
		Target: target, Socket: socket, Log: log, LockWait: 10 * time.Minute,
		Spawn: func(ctx context.Context) (*share.Starting, error) { return share.SpawnMaster(ctx, exe, args) },
	}
	return inv.Run(context.Background(), os.Stdin, os.Stdout)
}
