package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
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
	Via         string        `placeholder:"[USER@]JUMP[:PORT],..." help:"Tunnel mode: reach the target through one shared login to these jump hosts, like ProxyJump; ssh logs in to the target end to end."`
	User        string        `arg:"" help:"Remote user (%r)."`
	Host        string        `arg:"" help:"Remote host (%h)."`
	Port        string        `arg:"" help:"Remote port (%p)."`
}

// target is the share.Target the flags name. An empty user or port is left
// for the ssh config to decide.
func (f TargetFlags) target() (share.Target, error) {
	t := share.Target{User: f.User, Host: f.Host, Alias: f.Alias}
	if f.Port == "" {
		return t, nil
	}
	port, err := share.ParsePort(f.Port)
	t.Port = port
	return t, err
}

// socket expands the control path for the target.
func (f TargetFlags) socket() (string, error) {
	values, err := tokens.Local(f.User, f.Host, f.Port, f.Alias)
	if err != nil {
		return "", err
	}
	if values.RemoteUser == "" {
		values.RemoteUser = values.LocalUser
	}
	if values.Port == "" {
		values.Port = "22"
	}
	return tokens.SocketPath(f.ControlPath, values)
}

// masterArgs are the arguments that start a master for these flags.
func (f TargetFlags) masterArgs(socket, mode string) []string {
	args := []string{"master", "--socket", socket, "--persist", f.Persist.String(),
		"--control-path", f.ControlPath, "--mode", mode}
	if f.ConfigFile != "" {
		args = append(args, "-F", f.ConfigFile)
	}
	if f.Alias != "" {
		args = append(args, "--alias", f.Alias)
	}
	if f.Via != "" {
		args = append(args, "--via", f.Via)
	}
	return append(args, "--", f.User, f.Host, f.Port)
}

// invocation builds the invocation that reaches the master these flags
// name, spawning it with this binary when needed.
func (f TargetFlags) invocation(log *slog.Logger, mode string) (*share.Invocation, error) {
	target, err := f.target()
	if err != nil {
		return nil, err
	}
	socket, err := f.socket()
	if err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	dir, err := stateDir()
	if err != nil {
		return nil, err
	}
	args := f.masterArgs(socket, mode)
	return &share.Invocation{
		Target: target, Socket: socket, Log: log, LockWait: 10 * time.Minute,
		StateDir: dir, Prompt: terminalPrompt,
		Spawn: func(ctx context.Context) (*share.Starting, error) { return share.SpawnMaster(ctx, exe, args) },
	}, nil
}

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
	inv, err := c.invocation(log, share.OpShare)
	if err != nil {
		return err
	}
	return inv.Run(context.Background(), os.Stdin, os.Stdout)
}

// runTunnel splices stdio to the target through the last jump host.
func (c ProxyCmd) runTunnel(log *slog.Logger) error {
	port, err := share.ParsePort(c.Port)
	if err != nil {
		return err
	}
	chain, err := jumpChain(c.TargetFlags, log)
	if err != nil {
		return err
	}
	conn, err := dialThrough(context.Background(), chain, c.Host, port)
	if err != nil {
		return err
	}
	defer conn.Close()
	err = share.Splice(conn, os.Stdin, os.Stdout)
	if stopped := chain[len(chain)-1].Stopped(conn); stopped != nil {
		return stopped
	}
	return err
}

// jumpChain builds one invocation per jump host of --via a,b,c: the master
// for each hop reaches its host through the hops before it.
func jumpChain(f TargetFlags, log *slog.Logger) ([]*share.Invocation, error) {
	hops, err := share.ParseVia(f.Via)
	if err != nil {
		return nil, err
	}
	chain := make([]*share.Invocation, len(hops))
	for i, hop := range hops {
		hf := hopFlags(f, hop, hops[:i])
		if chain[i], err = hf.invocation(log, share.OpTunnel); err != nil {
			return nil, err
		}
	}
	return chain, nil
}

// hopFlags are the flags of the master for one jump host.
func hopFlags(f TargetFlags, hop share.Target, before []share.Target) TargetFlags {
	hf := TargetFlags{ConfigFile: f.ConfigFile, ControlPath: f.ControlPath, Persist: f.Persist,
		Alias: hop.Host, User: hop.User, Host: hop.Host}
	if hop.Port != 0 {
		hf.Port = fmt.Sprint(hop.Port)
	}
	hf.Via = joinTargets(before)
	return hf
}

// joinTargets formats hops back into a --via value.
func joinTargets(hops []share.Target) string {
	s := ""
	for i, h := range hops {
		if i > 0 {
			s += ","
		}
		if h.User != "" {
			s += h.User + "@"
		}
		s += h.Host
		if h.Port != 0 {
			s += fmt.Sprint(":", h.Port)
		}
	}
	return s
}

// dialThrough opens a tunnel to host:port through the chain's last master.
// When that fails for want of a master, every hop is brought up in order
// first, so each one's questions are asked here.
func dialThrough(ctx context.Context, chain []*share.Invocation, host string, port int) (net.Conn, error) {
	last := chain[len(chain)-1]
	conn, err := last.TryTunnel(host, port)
	var refused *share.RefusedError
	if err == nil || errors.As(err, &refused) {
		return conn, err
	}
	for _, inv := range chain {
		if err := inv.EnsureLoggedIn(ctx); err != nil {
			return nil, err
		}
	}
	return last.DialTunnel(ctx, host, port)
}
