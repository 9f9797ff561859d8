package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/invoke"
	"github.com/sshshare/sshshare/share/setup"
	"github.com/sshshare/sshshare/share/sysio"
	"github.com/sshshare/sshshare/share/upstream"
)

// loader asks ssh for a host's config as the master sees it: the view
// without sshshare's own ProxyCommand (see upstream.ConfigLoader.Self),
// with the invoking ssh's options args.
func (f MasterFlags) loader(args []string) upstream.ConfigLoader {
	self, _ := os.Executable()
	return upstream.ConfigLoader{ConfigFile: sysio.Abs(f.ConfigFile), Self: self, Args: args, Engine: f.Engine}
}

// jumpChain is the chain of masters for a ProxyJump's hosts, first hop
// first, each a tunnel-mode master keyed and started as --via's.
func (f MasterFlags) jumpChain(log *slog.Logger, hops []upstream.Target) (*invoke.Chain, error) {
	f.Via = upstream.JoinVia(hops)
	return f.chain(log)
}

// spawn starts the master of inv. A master with no --via takes the
// route of its view of the config, which it reads itself; before it is
// spawned, this invocation reads the same view (one ssh -G per master
// start, nothing per warm connect, and none when no config file has a
// route line) to do what needs the user, whom only it can reach: the masters of a ProxyJump's hosts are brought up here,
// asking their questions on this terminal, and an upstream ProxyCommand
// gets this stderr during the login, so what it prints (a login URL)
// reaches the user. A view that cannot be read is left for the master
// to report.
func (f TargetFlags) spawn(ctx context.Context, inv *invoke.Invocation, exe string, args []string) (*invoke.Starting, error) {
	var stderr *os.File
	if loader := f.loader(f.view.Args); f.Via == "" && loader.MayRoute() {
		cfg, err := loader.Load(ctx, inv.Target)
		if err != nil {
			inv.Log.Debug("config view before spawn", "err", err)
		}
		switch {
		case cfg.ProxyCommand != "":
			if _, err := os.Stderr.Stat(); err == nil {
				stderr = os.Stderr
			}
		case len(cfg.ProxyJump) > 0:
			if err := f.bringUpJumps(ctx, inv, cfg.ProxyJump); err != nil {
				return nil, err
			}
		}
	}
	return invoke.SpawnMaster(ctx, exe, args, invoke.MasterEnv(os.Environ()), os.Environ(), stderr)
}

// bringingUp is the context key of the sockets whose masters this
// invocation is starting, outermost first: a ProxyJump that leads back to
// one of them is a loop.
type bringingUp struct{}

// bringUpJumps brings up the masters of a ProxyJump's hosts in order,
// asking as inv may (a detached chain asks nothing).
func (f TargetFlags) bringUpJumps(ctx context.Context, inv *invoke.Invocation, hops []upstream.Target) error {
	outer, _ := ctx.Value(bringingUp{}).([]string)
	outer = append(slices.Clip(outer), inv.Socket)
	ctx = context.WithValue(ctx, bringingUp{}, outer)
	chain, err := f.jumpChain(inv.Log, hops)
	if err != nil {
		return err
	}
	for _, hop := range chain.Hops {
		if slices.Contains(outer, hop.Socket) {
			// Its start-up lock is held here: waiting for it would hang.
			return hint.With(fmt.Errorf("ProxyJump %s: the jump host's master would be %s, one this ssh is starting: %s",
				upstream.JoinVia(hops), hop.Socket, strings.Join(outer, " → ")),
				"a ProxyJump loop, or a --control-path without %h, %p and %r (write them %%h %%p %%r in a ProxyCommand line)")
		}
	}
	if inv.Prompt == nil {
		chain.Detached()
	}
	if err := chain.EnsureLoggedIn(ctx); err != nil {
		return fmt.Errorf("ProxyJump %s: %w", upstream.JoinVia(hops), err)
	}
	return nil
}

// masterSocketEnv names the socket of the master whose process (and so
// whose upstream ProxyCommand) this process runs under.
const masterSocketEnv = "SSHSHARE_MASTER_SOCKET"

// notOwnUpstream refuses an invocation for the socket of the master it
// runs under: that master's upstream ProxyCommand runs sshshare for the
// same host (a line the view did not recognise as sshshare's, such as
// `sh -c "sshshare ..."`), and the master would wait for its own login.
func notOwnUpstream(socket string) error {
	if os.Getenv(masterSocketEnv) != socket {
		return nil
	}
	return hint.With(fmt.Errorf("the upstream ProxyCommand of the master for %s runs sshshare for the same host", socket),
		"the master recognises sshshare's own line only when its program comes first (`ProxyCommand sshshare ...`, `exec sshshare ...` or `sh -c 'sshshare ...'`); write it so, before the route")
}

// masterTargetEnv names the target (USER@HOST:PORT as its invocation
// gave them) of the master whose process this process runs under.
const masterTargetEnv = "SSHSHARE_MASTER_TARGET"

// targetKey is the target as masterTargetEnv gives it: user@host:port,
// as the command line names them.
func (f TargetFlags) targetKey() string { return f.User + "@" + f.Host + ":" + f.Port }

// notOwnEngine refuses a share invocation for the target of the master
// whose OpenSSH engine ssh runs it: that ssh's route runs sshshare for the
// same host (a line the view did not recognise as sshshare's), and its
// socket differs from the master's (that ssh's options make another view),
// so notOwnUpstream cannot tell. The engine's own route through jump
// hosts' masters is a tunnel invocation, which passes.
func notOwnEngine(mode, target, socket string) error {
	if mode != control.OpShare || os.Getenv(upstream.EngineSSHEnv) == "" || os.Getenv(masterTargetEnv) != target {
		return nil
	}
	return notOwnUpstream(os.Getenv(masterSocketEnv))
}

// tunnelCommand is the ProxyCommand that reaches this master's target
// through the masters of the jump hosts via (its --via chain, or its
// view's ProxyJump), for the OpenSSH engine's ssh: a tunnel-mode
// invocation of this sshshare with the master's own flags, so every target
// behind a bastion shares the bastion's master, as with the Go engine.
// ssh expands %-tokens in it, so those of the words are doubled.
func (c MasterCmd) tunnelCommand(self, via string) string {
	words := []string{self, "--via", via, "--control-path", c.ControlPath, "--persist", c.Persist.String()}
	if c.MuxPath != "" {
		words = append(words, "--mux-path", c.MuxPath)
	}
	if c.ConfigFile != "" {
		words = append(words, "-F", c.ConfigFile)
	}
	if c.Engine != "" && c.Engine != upstream.EngineAuto {
		words = append(words, "--engine", c.Engine)
	}
	if c.KeepOrphans {
		words = append(words, "--keep-orphans")
	}
	line := make([]string, len(words))
	for i, w := range words {
		line[i] = setup.ShellQuote(strings.ReplaceAll(w, "%", "%%"))
	}
	return strings.Join(line, " ") + " %r %h %p"
}
