package doctor

import (
	"cmp"
	"context"
	"path/filepath"

	"github.com/sshshare/sshshare/share/localhop"
	"github.com/sshshare/sshshare/share/upstream"
)

// Env is where the checks look: the ssh to ask, the config it reads, the
// user's state directory and environment. cmd/sshshare fills it.
type Env struct {
	SSH        string // the ssh binary; "" means ssh from PATH
	ConfigFile string // ssh's -F; "" means ssh's default files
	Self       string // this sshshare's executable, which a ProxyCommand may name
	StateDir   string // ~/.ssh/sshshare
	WorkDir    string // where ansible.cfg is looked for first
	Home       string // $HOME, where ~/.ansible.cfg is
	Getenv     func(string) string
	// ProxyFlags reads the arguments of a host's sshshare ProxyCommand
	// line with this build's command line parser, as for an ssh run as
	// `ssh [-F ConfigFile] host`.
	ProxyFlags func(args []string, host string) (ProxyFlags, error)
}

// ProxyFlags is what sshshare's ProxyCommand line makes of a host.
type ProxyFlags struct {
	Alias       string // --alias as given, "" without
	Socket      string // the control socket of the host's master
	SocketErr   error  // why there can be none (a fallback directory refused)
	MuxTemplate string // the mux socket's template; "none" for no mux door
	// User, Host and Port are sshshare's %r %h %p, for the mux socket.
	User, Host, Port string
	// Loader and Target are how the master reads the host's config:
	// ssh -G of its view, without sshshare's line (upstream.ConfigLoader).
	Loader upstream.ConfigLoader
	Target upstream.Target
}

// ssh is the ssh binary to run.
func (e Env) ssh() string { return cmp.Or(e.SSH, "ssh") }

// getenv is Getenv; unset, the environment is empty (only cmd/sshshare
// reads the process's).
func (e Env) getenv(name string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(name)
}

// knownHosts is the local host keys' known_hosts file (KnownHostsFile).
func (e Env) knownHosts() string { return filepath.Join(e.StateDir, localhop.KnownHostsFile) }

// Check runs every check for host ("" for the checks that need none) and
// returns the findings in order: OpenSSH, the host's config, ssh's own
// sharing, Ansible, the state directory, sockets and masters, the agent.
func Check(ctx context.Context, env Env, host string) []Finding {
	line, err := sshVersion(ctx, env.ssh())
	findings := CheckOpenSSH(line, err)
	everywhere, err := LoadConfig(ctx, env.ssh(), env.ConfigFile, upstream.ProbeHost)
	if err != nil {
		return append(findings, broken("config.read", err.Error(), "fix the ssh config ssh -G complains of"))
	}
	agentCfg := everywhere
	var h *Host
	if host != "" {
		h, err = LoadHost(ctx, env, host)
		if err != nil {
			return append(findings, broken("config.read", err.Error(), "fix the ssh config ssh -G complains of"))
		}
		findings = append(findings, h.Check(ctx, env, everywhere)...)
		agentCfg = h.Config
	} else {
		findings = append(findings, CheckEverywhere(everywhere)...)
	}
	findings = append(findings, CheckAnsible(env)...)
	findings = append(findings, CheckStateDir(env.StateDir, h)...)
	findings = append(findings, CheckSockets(env.StateDir, h)...)
	return append(findings, CheckAgent(agentCfg, env.getenv)...)
}
