package doctor

import (
	"context"
	"runtime"
	"strings"

	"github.com/sshshare/sshshare/share/upstream"
	"github.com/sshshare/sshshare/tokens"
)

// Host is what ssh makes of one host name, and what sshshare's line in
// it says.
type Host struct {
	Name   string // as typed, without a user@
	Config Config // ssh -G Name
	// Behind is ssh -G with `-o ProxyJump=none` when a ProxyJump won:
	// it shows a ProxyCommand the ProxyJump hid. nil otherwise.
	Behind Config
	// Runs says ssh runs sshshare for the host: its ProxyCommand is
	// sshshare's (upstream.RunsSSHShare).
	Runs bool
	// Line is sshshare's ProxyCommand line when Runs.
	Line ProxyLine
	// Flags is what the line makes of the host, when it could be read;
	// FlagsErr says why not.
	Flags    ProxyFlags
	FlagsErr error
	// goos is the OS whose ProxyCommand reads ssh's command line
	// (runtime.GOOS; tests change it).
	goos string
}

// LoadHost asks ssh how it would connect to host, and reads sshshare's
// line from it.
func LoadHost(ctx context.Context, env Env, host string) (*Host, error) {
	cfg, err := LoadConfig(ctx, env.ssh(), env.ConfigFile, host)
	if err != nil {
		return nil, err
	}
	name := host
	if i := strings.LastIndexByte(name, '@'); i >= 0 {
		name = name[i+1:] // ssh's %n is the host part of user@host
	}
	h := &Host{Name: name, Config: cfg, goos: runtime.GOOS}
	if cfg.Get("proxyjump") != "" {
		if h.Behind, err = LoadConfig(ctx, env.ssh(), env.ConfigFile, host, "-o", "ProxyJump=none"); err != nil {
			return nil, err
		}
	}
	command := cfg.Get("proxycommand")
	h.Runs = command != "" && upstream.RunsSSHShare(command, env.Self)
	if !h.Runs {
		return h, nil
	}
	h.Line = ParseProxyLine(command, h.tokens(), env.getenv)
	if env.ProxyFlags == nil {
		return h, nil
	}
	h.Flags, h.FlagsErr = env.ProxyFlags(h.Line.Args, host)
	return h, nil
}

// tokens are what ssh expands the ProxyCommand's tokens to for the host.
func (h *Host) tokens() ProxyTokens {
	return ProxyTokens{Host: h.hostName(), Alias: h.Name, Port: h.Config.Get("port"), User: h.Config.Get("user")}
}

// hostName is the HostName ssh connects to.
func (h *Host) hostName() string { return h.Config.Get("hostname") }

// Check runs the checks of the host's config; everywhere is what the
// config gives every host (ssh -G of upstream.ProbeHost).
func (h *Host) Check(ctx context.Context, env Env, everywhere Config) []Finding {
	out := h.checkRoute()
	if !h.Runs {
		return out
	}
	if h.FlagsErr != nil {
		out = append(out, broken("route.flags", "sshshare cannot read its ProxyCommand line for "+h.Name+": "+h.FlagsErr.Error(),
			"write the line as docs/setup.md does: `ProxyCommand sshshare --alias %n %r %h %p`"))
	}
	out = append(out, h.checkAlias()...)
	out = append(out, h.checkView(ctx)...)
	out = append(out, CheckTrust(h.Config, everywhere, env.knownHosts())...)
	return append(out, h.checkControl(everywhere)...)
}

// sshshareLines is the Host block docs/setup.md recommends.
const sshshareLines = "`ProxyCommand sshshare --alias %n %r %h %p`, `ControlPath ~/.ssh/sshshare/%r@%h-%p.mux`, `ControlMaster no` and " +
	"`GlobalKnownHostsFile /etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2 ~/.ssh/sshshare/known_hosts`"

// checkRoute tells whether ssh runs sshshare for the host, and what
// it runs instead when it does not.
func (h *Host) checkRoute() []Finding {
	if h.Runs {
		return []Finding{ok("route.sshshare", "ssh runs sshshare for "+h.Name+": ProxyCommand "+h.Config.Get("proxycommand"))}
	}
	jump, command := h.Config.Get("proxyjump"), h.Config.Get("proxycommand")
	switch {
	case jump != "" && h.Behind != nil && upstream.RunsSSHShare(h.Behind.Get("proxycommand"), ""):
		return []Finding{broken("route.order", "ssh goes to "+h.Name+" through ProxyJump "+jump+" and never runs sshshare: the ProxyJump comes before sshshare's ProxyCommand, and ssh takes the first of the two",
			"move sshshare's ProxyCommand line above the ProxyJump (in the same Host block, or in one before it); the master then logs in through the ProxyJump (docs/setup.md, Routes)")}
	case jump != "":
		return []Finding{broken("route.sshshare", "ssh goes to "+h.Name+" through ProxyJump "+jump+", without sshshare",
			"put sshshare's lines above the ProxyJump, in a Host block for "+h.Name+": "+sshshareLines+" (docs/setup.md)")}
	case command != "":
		return []Finding{broken("route.sshshare", "ssh runs another ProxyCommand for "+h.Name+" ("+command+"), not sshshare",
			"put sshshare's ProxyCommand line above it, in the same Host block or one before it; the master then runs yours (docs/setup.md, Routes)")}
	}
	return []Finding{broken("route.sshshare", "ssh does not run sshshare for "+h.Name+": no Host block gives it sshshare's ProxyCommand",
		"add a Host block for "+h.Name+" with "+sshshareLines+" (docs/setup.md)")}
}

// checkAlias tells whether the master reads the Host blocks of the name
// the user typed: sshshare's --alias %n, or ssh's command line.
func (h *Host) checkAlias() []Finding {
	alias, given := h.aliasFlag()
	name := h.hostName()
	switch {
	case given && alias == h.Name:
		return []Finding{ok("route.alias", "sshshare's line passes the name you typed (--alias "+alias+")")}
	case given:
		return []Finding{broken("route.alias", "sshshare's line passes --alias "+alias+", not the name you typed ("+h.Name+"): the master reads the Host blocks of "+alias,
			"pass `--alias %n` on sshshare's ProxyCommand line")}
	case strings.EqualFold(name, h.Name):
		return []Finding{ok("route.alias", h.Name+" is its own host name: the master reads the same Host blocks as ssh without --alias")}
	case h.readsCommandLine():
		return []Finding{warn("route.alias", "sshshare's line has no `--alias %n`: the master finds the name you typed ("+h.Name+", host name "+name+") only by reading the command line of the ssh that runs it, which works on "+h.goos+" when ssh runs sshshare itself",
			"write `ProxyCommand sshshare --alias %n %r %h %p`, so the alias's Host blocks apply whoever runs sshshare (docs/setup.md)")}
	}
	return []Finding{broken("route.alias", "sshshare's line has no `--alias %n`, and sshshare cannot read the command line of the ssh that runs it here: the master reads only the Host blocks of "+name+", not those of "+h.Name,
		"write `ProxyCommand sshshare --alias %n %r %h %p` (docs/setup.md)")}
}

// aliasFlag is --alias of sshshare's line, as the command line parser
// read it, or as the line reads.
func (h *Host) aliasFlag() (alias string, given bool) {
	if h.FlagsErr == nil && h.Flags.Alias != "" {
		return h.Flags.Alias, true
	}
	args := h.Line.Args
	for i, a := range args {
		if a == "--" {
			break
		}
		if v, ok := strings.CutPrefix(a, "--alias="); ok {
			return v, true
		}
		if a == "--alias" && i+1 < len(args) {
			return args[i+1], true
		}
	}
	return "", false
}

// readsCommandLine reports whether sshshare, run by this line, can read
// the command line of the ssh that runs it (sysio.ParentArgs): on Linux
// and macOS, when ssh is its parent.
func (h *Host) readsCommandLine() bool {
	return (h.goos == "linux" || h.goos == "darwin") && !h.Line.Wrapped
}

// muxSocket is the mux socket the host's master serves, and why there is
// none when there is none.
func (h *Host) muxSocket() (string, error) {
	if h.FlagsErr != nil || strings.EqualFold(h.Flags.MuxTemplate, "none") || h.Flags.MuxTemplate == "" {
		return "", nil
	}
	v, err := tokens.Local(h.Flags.User, h.Flags.Host, h.Flags.Port, h.Name)
	if err != nil {
		return "", err
	}
	if v.RemoteUser == "" {
		v.RemoteUser = v.LocalUser
	}
	if v.Port == "" {
		v.Port = "22"
	}
	return tokens.MuxSocketPath(h.Flags.MuxTemplate, v)
}
