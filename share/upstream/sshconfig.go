package upstream

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sshshare/sshshare/share/sysio"
	"github.com/sshshare/sshshare/tokens"
)

// HostConfig is the part of the user's ssh configuration for one host that
// the master honours, as `ssh -G` resolves it.
type HostConfig struct {
	User                         string
	HostName                     string
	Port                         int
	IdentityFiles                []string // as configured: ~ and %-tokens not yet expanded
	CertificateFiles             []string
	IdentitiesOnly               bool
	IdentityAgent                string // "" means SSH_AUTH_SOCK; "none" disables the agent
	UserKnownHostsFiles          []string
	GlobalKnownHostsFiles        []string
	KnownHostsCommand            string   // as configured, %-tokens not yet expanded
	RevokedHostKeys              []string // as configured: ~ and %-tokens not yet expanded
	NoHostAuthForLocalhost       bool     // NoHostAuthenticationForLocalhost
	CheckHostIP                  bool
	VerifyHostKeyDNS             string // "yes", "ask", or "" for no
	HostKeyAlias                 string
	HashKnownHosts               bool
	StrictHostKeyChecking        string // yes (true), ask, accept-new, no (false), off
	BatchMode                    bool
	ConnectTimeout               time.Duration // 0: Dialer.ConnectTimeout's default
	ServerAliveInterval          time.Duration
	ServerAliveCountMax          int
	PubkeyAuthentication         bool
	PasswordAuthentication       bool
	KbdInteractiveAuthentication bool
	NumberOfPasswordPrompts      int
	PreferredAuthentications     []string
	AddKeysToAgent               AddKeysToAgent
	PKCS11Provider               string // "" or "none": no provider
	GSSAPIAuthentication         bool
	Algorithms                   Algorithms
	Network                      Network // how to reach the host over TCP
	// ProxyJump is the route through jump hosts, first hop first, and
	// ProxyCommand the command whose stdio is the connection (as
	// configured, %-tokens not yet expanded): at most one is set, as ssh
	// takes the first of them. sshshare's own line is not among them
	// (see view.go).
	ProxyJump    []Target
	ProxyCommand string
	// LogLevel is ssh's LogLevel as ssh -G prints it (INFO unless set):
	// QUIET, FATAL and ERROR silence the lines ssh would log at INFO.
	LogLevel string
	// ControlMaster and ControlPath are ssh's own connection sharing, as
	// ssh -G prints them (ControlPath expanded): the master refuses one
	// that would make ssh a rival master on its mux socket.
	ControlMaster string
	ControlPath   string
	// ForwardAgent is ssh -G's value: yes, no, or the agent socket to
	// forward (a path or an environment variable), for the mux door,
	// which forwards a mux client's agent itself.
	ForwardAgent string
	// GatewayPorts is ssh -G's gatewayports: whether local forwards the
	// mux door sets up may listen on other than loopback.
	GatewayPorts bool
	// ForkAfterAuth is ssh -G's forkafterauthentication (OpenSSH 8.7+):
	// the OpenSSH engine's ssh must not fork.
	ForkAfterAuth bool

	// Warnings are the keywords whose values the master does not apply
	// upstream, one line each for the ssh that starts it (see keywords.go).
	Warnings []string
	// Refusal is the first keyword whose value stops the master.
	Refusal error
	// Unclassified are keywords newer than the table, for the log.
	Unclassified []string

	// Engine is what logs in to the host for the master: EngineGo or
	// EngineOpenSSH (see engine.go). Warnings and Refusal are the Go
	// engine's: the OpenSSH engine honours every keyword.
	Engine string
	// EngineAsked is the engine the user asked for: EngineAuto, EngineGo
	// or EngineOpenSSH.
	EngineAsked string
	// NeedsOpenSSH are the settings ("Keyword value") the Go engine
	// cannot honour, which make EngineAuto choose OpenSSH.
	NeedsOpenSSH []string
}

// ConfigLoader asks OpenSSH how it would connect to a host.
type ConfigLoader struct {
	SSH        string // ssh binary; "" means "ssh" from PATH
	ConfigFile string // ssh's -F; "" means the user's default config
	// Args are the invoking ssh's options that shape the upstream (see
	// CommandLine), given to ssh -G after the target's -p and -l.
	Args []string
	// Self is this sshshare's executable: a ProxyCommand that runs it (or
	// any program named sshshare) is left out of the master's view of
	// the config (see view.go), so the route behind it applies.
	Self string
	// Engine is the engine asked for (EngineAuto when ""); Load decides
	// HostConfig.Engine from it and the config.
	Engine string
}

// Load runs `ssh -G` for the target and parses what it prints, so the
// master sees the exact Host and Match blocks the user's ssh used.
func (l ConfigLoader) Load(ctx context.Context, t Target) (HostConfig, error) {
	out, err := l.run(ctx, t)
	if err != nil {
		return HostConfig{}, err
	}
	cfg, err := parseSSHG(out)
	if err == nil {
		cfg.GlobalKnownHostsFiles, err = expandTildes(cfg.GlobalKnownHostsFiles)
	}
	if err != nil {
		return cfg, fmt.Errorf("ssh -G %s: %w", t.configHost(), err)
	}
	if err := cfg.chooseEngine(l.Engine); err != nil {
		return cfg, err
	}
	if cfg.Engine == EngineOpenSSH {
		return cfg, nil
	}
	return cfg, cfg.Refusal
}

// expandTildes expands a leading ~ in each path, as ssh does when it reads
// GlobalKnownHostsFile: `ssh -G` prints those as written.
func expandTildes(paths []string) ([]string, error) {
	if !slices.ContainsFunc(paths, func(p string) bool { return strings.HasPrefix(p, "~") }) {
		return paths, nil
	}
	v, err := tokens.Local("", "", "", "")
	if err != nil {
		return nil, err
	}
	out := make([]string, len(paths))
	for i, p := range paths {
		if out[i], err = tokens.ExpandTilde(p, v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// run executes ssh -G and returns its standard output.
func (l ConfigLoader) run(ctx context.Context, t Target) ([]byte, error) {
	bin := l.SSH
	if bin == "" {
		bin = "ssh"
	}
	file, done, err := l.view()
	defer done()
	if err != nil {
		return nil, fmt.Errorf("ssh -G %s: %w", t.configHost(), err)
	}
	args := append([]string{"-G"}, l.viewArgs(file, t)...)
	args = append(args, "--", t.configHost())
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := sysio.NoWindow(exec.CommandContext(ctx, bin, args...))
	cmd.Dir = sysio.StartDir() // the directory relative -F and -i are in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		return nil, fmt.Errorf("ssh -G %s: %w: %s", t.configHost(), err, msg)
	}
	return out, nil
}

// viewArgs are the options that give ssh the master's view for t: the
// view's file, the target's port and user, and the invoking ssh's options.
func (l ConfigLoader) viewArgs(file string, t Target) []string {
	var args []string
	if file != "" {
		args = append(args, "-F", file)
	}
	if t.Port != 0 {
		args = append(args, "-p", strconv.Itoa(t.Port))
	}
	if t.User != "" {
		args = append(args, "-l", t.User)
	}
	return append(args, l.Args...)
}

// parseSSHG parses the "keyword value" lines `ssh -G` prints.
func parseSSHG(out []byte) (HostConfig, error) {
	cfg := HostConfig{ServerAliveCountMax: 3, NumberOfPasswordPrompts: 3,
		PubkeyAuthentication: true, PasswordAuthentication: true, KbdInteractiveAuthentication: true}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		key, value, _ := strings.Cut(sc.Text(), " ")
		cfg.review(key, value)
		if err := cfg.set(strings.ToLower(key), value); err != nil {
			return cfg, fmt.Errorf("%s %s: %w", key, value, err)
		}
	}
	if cfg.HostName == "" || cfg.Port == 0 {
		return cfg, fmt.Errorf("no hostname or port in output")
	}
	return cfg, sc.Err()
}

// set applies one keyword of ssh -G's output.
func (c *HostConfig) set(key, value string) (err error) {
	switch key {
	case "user":
		c.User = value
	case "hostname":
		c.HostName = value
	case "port":
		c.Port, err = ParsePort(value)
	case "identityfile":
		c.IdentityFiles = append(c.IdentityFiles, value)
	case "certificatefile":
		c.CertificateFiles = append(c.CertificateFiles, value)
	case "identitiesonly":
		c.IdentitiesOnly = yes(value)
	case "identityagent":
		c.IdentityAgent = value
	case "userknownhostsfile":
		c.UserKnownHostsFiles = strings.Fields(value)
	case "globalknownhostsfile":
		c.GlobalKnownHostsFiles = strings.Fields(value)
	case "knownhostscommand":
		c.KnownHostsCommand = value
	case "revokedhostkeys":
		c.RevokedHostKeys = noneIsEmpty(strings.Fields(value))
	case "nohostauthenticationforlocalhost":
		c.NoHostAuthForLocalhost = yes(value)
	case "checkhostip":
		c.CheckHostIP = yes(value)
	case "verifyhostkeydns":
		c.VerifyHostKeyDNS = dnsMode(value)
	case "hostkeyalias":
		c.HostKeyAlias = value
	case "hashknownhosts":
		c.HashKnownHosts = yes(value)
	case "stricthostkeychecking":
		c.StrictHostKeyChecking = value
	case "batchmode":
		c.BatchMode = yes(value)
	case "connecttimeout":
		c.ConnectTimeout, err = seconds(value)
	case "serveraliveinterval":
		c.ServerAliveInterval, err = seconds(value)
	case "serveralivecountmax":
		c.ServerAliveCountMax, err = strconv.Atoi(value)
	case "pubkeyauthentication":
		// yes, unbound and host-bound all mean on.
		c.PubkeyAuthentication = !no(value)
	case "passwordauthentication":
		c.PasswordAuthentication = yes(value)
	case "kbdinteractiveauthentication":
		c.KbdInteractiveAuthentication = yes(value)
	case "numberofpasswordprompts":
		c.NumberOfPasswordPrompts, err = strconv.Atoi(value)
	case "proxyjump":
		c.ProxyJump, err = ParseJump(value)
	case "proxycommand":
		c.ProxyCommand = value
	case "loglevel":
		c.LogLevel = value
	case "controlmaster":
		c.ControlMaster = value
	case "controlpath":
		c.ControlPath = value
	case "forwardagent":
		c.ForwardAgent = value
	case "gatewayports":
		c.GatewayPorts = yes(value)
	case "preferredauthentications":
		c.PreferredAuthentications = strings.Split(value, ",")
	case "addkeystoagent":
		c.AddKeysToAgent, err = parseAddKeysToAgent(value)
	case "pkcs11provider":
		c.PKCS11Provider = value
	case "gssapiauthentication":
		c.GSSAPIAuthentication = yes(value)
	case "forkafterauthentication":
		c.ForkAfterAuth = yes(value)
	default:
		if slices.Contains(networkKeywords, key) {
			return c.Network.set(key, value)
		}
		c.Algorithms.set(key, value)
	}
	return err
}

// yes reports whether an ssh -G flag value means on.
func yes(v string) bool {
	switch strings.ToLower(v) {
	case "yes", "true":
		return true
	}
	return false
}

// no reports whether an ssh -G flag value means off.
func no(v string) bool {
	switch strings.ToLower(v) {
	case "no", "false":
		return true
	}
	return false
}

// dnsMode is VerifyHostKeyDNS as "yes", "ask" or "" (no): ssh -G prints
// true and false for yes and no.
func dnsMode(v string) string {
	switch {
	case yes(v):
		return "yes"
	case strings.EqualFold(v, "ask"):
		return "ask"
	}
	return ""
}

// noneIsEmpty maps a list that is only "none" to no list, as ssh reads
// "RevokedHostKeys none".
func noneIsEmpty(list []string) []string {
	if len(list) == 1 && strings.EqualFold(list[0], "none") {
		return nil
	}
	return list
}

// seconds parses ssh -G's integer seconds, where "none" means unset.
func seconds(v string) (time.Duration, error) {
	if v == "none" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	return time.Duration(n) * time.Second, err
}
