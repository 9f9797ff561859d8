package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/sshshare/sshshare/share"
	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/invoke"
	"github.com/sshshare/sshshare/share/upstream"
	"github.com/sshshare/sshshare/share/vis"
	"github.com/sshshare/sshshare/tokens"
)

// MasterFlags say how a master is configured and found: the ssh config it
// reads, its socket path template, its idle window and its jump hosts.
// The proxy, master, start and path commands share them, so each default
// and rule is written once.
type MasterFlags struct {
	ConfigFile  string        `short:"F" name:"config" env:"SSHSHARE_CONFIG" placeholder:"FILE" help:"Read this ssh config file instead of the default, like ssh's -F."`
	ControlPath string        `name:"control-path" default:"${control_path}" env:"SSHSHARE_CONTROL_PATH" help:"Socket path template, with ControlPath's tokens (%r %h %p %C ...)."`
	MuxPath     string        `name:"mux-path" env:"SSHSHARE_MUX_PATH" placeholder:"TEMPLATE" help:"Mux socket path template: the ControlPath that lets ssh reach a master in-process (ControlMaster no); by default %r@%n-%p.mux in the control path template's directory; none serves no mux door."`
	Persist     time.Duration `default:"${persist}" env:"SSHSHARE_PERSIST" help:"How long a master stays after its last client left."`
	Via         string        `placeholder:"[USER@]JUMP[:PORT],..." help:"Tunnel mode: reach the target through one shared login to these jump hosts, like ProxyJump; ssh logs in to the target end to end."`
	Engine      string        `default:"auto" enum:"auto,go,openssh" env:"SSHSHARE_ENGINE" help:"What logs the master in to the host: go (built in), openssh (your own ssh as the master's upstream, for keywords the built-in one cannot honour, such as Kerberos, PKCS11Provider and Compression), or auto (go unless the config needs openssh). Windows keeps go. It applies to the masters this starts."`
	KeepOrphans bool          `name:"keep-orphans" env:"SSHSHARE_KEEP_ORPHANS" help:"Leave a remote command running when its ssh is killed before the command exits, as plain ssh does; by default the master sends it SIGHUP, then SIGTERM. It applies to the masters this starts."`
}

// TargetFlags name a master: where it connects and how it reads the user's
// ssh config. The proxy, master and path commands share them.
type TargetFlags struct {
	MasterFlags
	Alias string `help:"Host name as typed (pass %n), so Host-alias blocks of the ssh config apply; by default the destination on the invoking ssh's command line."`
	User  string `arg:"" help:"Remote user (%r)."`
	Host  string `arg:"" help:"Remote host (%h)."`
	Port  string `arg:"" help:"Remote port (%p)."`

	// view is what the invoking ssh's command line adds to the master's
	// view (see withView); its Host is unused: Alias holds the alias.
	view upstream.CommandLine
	// viewUnread says why the invoking ssh's command line is not in the
	// view, when it was looked for and could not be read.
	viewUnread string
	// ownAlias and ownConfig are --alias and -F as the ProxyCommand line
	// gave them, before the view filled them in: the master's mux door
	// builds each client's view from them (see muxClientCheck).
	ownAlias, ownConfig string
}

// kongVars are the defaults the flags' tags name.
func kongVars() map[string]string {
	return map[string]string{
		"version":      buildVersion(),
		"control_path": tokens.DefaultControlPath,
		"persist":      share.DefaultPersist.String(),
	}
}

// target is the upstream.Target the flags name. An empty user or port is
// left for the ssh config to decide.
func (f TargetFlags) target() (upstream.Target, error) {
	t := upstream.Target{User: f.User, Host: f.Host, Alias: f.Alias}
	if f.Port == "" {
		return t, nil
	}
	port, err := upstream.ParsePort(f.Port)
	t.Port = port
	return t, err
}

// socket expands the control path for the target. A master whose view
// holds more than the target (an alias, ssh's own -F, options that shape
// the upstream) gets its own socket: the path with "+KEY" appended.
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
	return tokens.ViewSocketPath(f.ControlPath, values, f.viewKey())
}

// muxSocket expands the mux socket path for the target: "" for a tunnel
// master, with --mux-path none, or when the path cannot be what ssh
// expands (see tokens.MuxSocketPath). Masters of several views of one
// target may share the path: the first to publish keeps it, and each
// client whose view is not the master's is sent to its ProxyCommand (see
// muxClientCheck).
func (f TargetFlags) muxSocket(mode string) string {
	template := tokens.MuxTemplate(f.ControlPath, f.MuxPath)
	if mode != control.OpShare || strings.EqualFold(template, "none") {
		return ""
	}
	values, err := tokens.Local(f.User, f.Host, f.Port, f.Alias)
	if err != nil {
		return ""
	}
	if values.RemoteUser == "" {
		values.RemoteUser = values.LocalUser
	}
	if values.Port == "" {
		values.Port = "22"
	}
	p, err := tokens.MuxSocketPath(template, values)
	if err != nil {
		return ""
	}
	return p
}

// fixedAlias is the ProxyCommand line's --alias when it names a fixed
// host, "" when it is ssh's %n: ssh expanded %n to the name this ssh
// typed, and each mux client's own name is its %n (see muxClientView).
func (f TargetFlags) fixedAlias() string {
	if f.ownAlias == f.view.Host {
		return ""
	}
	return f.ownAlias
}

// masterArgs are the arguments that start a master for these flags.
func (f TargetFlags) masterArgs(socket, mode string) []string {
	args := []string{"master", "--socket", socket, "--persist", f.Persist.String(),
		"--control-path", f.ControlPath, "--mode", mode}
	if mux := f.muxSocket(mode); mux != "" {
		args = append(args, "--mux-socket", mux, "--mux-view", f.viewKey(),
			"--mux-alias", f.fixedAlias(), "--mux-config", f.ownConfig)
	}
	if f.ConfigFile != "" {
		args = append(args, "-F", f.ConfigFile)
	}
	if f.Alias != "" {
		args = append(args, "--alias", f.Alias)
	}
	if f.Via != "" {
		args = append(args, "--via", f.Via)
	}
	if f.KeepOrphans {
		args = append(args, "--keep-orphans")
	}
	if f.Engine != "" && f.Engine != upstream.EngineAuto {
		args = append(args, "--engine", f.Engine)
	}
	for _, opt := range f.view.Args {
		args = append(args, "--ssh-option="+opt)
	}
	if f.viewUnread != "" {
		args = append(args, "--ssh-options-unread="+f.viewUnread)
	}
	return append(args, "--", f.User, f.Host, f.Port)
}

// invocation builds the invocation that reaches the master these flags
// name, spawning it with this binary when needed.
func (f TargetFlags) invocation(log *slog.Logger, mode string) (*invoke.Invocation, error) {
	target, err := f.target()
	if err != nil {
		return nil, err
	}
	socket, err := f.socket()
	if err != nil {
		return nil, err
	}
	if err := notOwnUpstream(socket); err != nil {
		return nil, err
	}
	if err := notOwnEngine(mode, f.targetKey(), socket); err != nil {
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
	inv := &invoke.Invocation{
		Target: target, Socket: socket, MuxSocket: f.muxSocket(mode), Log: log, LockWait: control.LoginWait,
		StateDir: dir, Prompt: terminalPrompt, CanPrompt: canPrompt, Warn: warnUser,
	}
	inv.Spawn = func(ctx context.Context) (*invoke.Starting, error) {
		return f.spawn(ctx, inv, exe, args)
	}
	return inv, nil
}

// chain builds the invocations of the jump hosts of --via a,b,c: the
// master for each hop reaches its host through the hops before it.
func (f MasterFlags) chain(log *slog.Logger) (*invoke.Chain, error) {
	return invoke.NewChain(f.Via, func(hop upstream.Target, before string) (*invoke.Invocation, error) {
		return f.hopFlags(hop, before).invocation(log, control.OpTunnel)
	})
}

// hopFlags are the flags of the master for one jump host, whose own
// upstream goes through the hops before it.
func (f MasterFlags) hopFlags(hop upstream.Target, before string) TargetFlags {
	hf := TargetFlags{MasterFlags: f, Alias: hop.Host, User: hop.User, Host: hop.Host}
	hf.Via = before
	if hop.Port != 0 {
		hf.Port = fmt.Sprint(hop.Port)
	}
	return hf
}

// warnUser shows a master's warning on the user's stderr, which is the
// invoking ssh's: as ssh shows its own warnings, one line each, escaped.
func warnUser(line string) { fmt.Fprintf(os.Stderr, "sshshare: %s\n", vis.Line(line)) }
