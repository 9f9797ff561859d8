package doctor

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/localhop"
	"github.com/sshshare/sshshare/share/upstream"
	"github.com/sshshare/sshshare/tokens"
)

// CheckTrust tells whether ssh, configured as c, accepts the master's
// local host key: knownHosts (KnownHostsFile) among its known hosts
// files, or a KnownHostsCommand that runs `sshshare known-hosts`. It
// applies the master's own check (localhop.CheckTrust) and its hints,
// then looks further at what that check takes on trust. everywhere is
// what the config gives every host: a trust line there is too wide
// (localhop.ScopeWarning).
func CheckTrust(c Config, everywhere Config, knownHosts string) []Finding {
	cfg := trustConfig(c)
	if err := localhop.CheckTrust(cfg, knownHosts); err != nil {
		return []Finding{broken("trust.line", err.Error(), hint.Of(err))}
	}
	var out []Finding
	files := slices.Concat(cfg.UserKnownHostsFiles, cfg.GlobalKnownHostsFiles)
	switch {
	case slices.ContainsFunc(files, func(f string) bool { return filepath.Clean(f) == filepath.Clean(knownHosts) }):
		out = append(out, ok("trust.line", "ssh trusts the master's local host key: "+knownHosts+" is among its known hosts files"))
	case cfg.KnownHostsCommand != "":
		out = append(out, checkKnownHostsCommand(cfg.KnownHostsCommand))
	default:
		out = append(out, warn("trust.line", "StrictHostKeyChecking "+cfg.StrictHostKeyChecking+": ssh accepts the master's local host key, and any other key",
			"add `GlobalKnownHostsFile /etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2 ~/.ssh/sshshare/known_hosts` to the Host block and check host keys again (docs/setup.md)"))
	}
	if w := localhop.ScopeWarning(firstValues(everywhere), knownHosts); w != "" {
		what, fix, _ := strings.Cut(strings.TrimPrefix(w, "warning: "), ": ")
		out = append(out, warn("trust.scope", what, fix))
	}
	return out
}

// checkKnownHostsCommand looks at an absolute KnownHostsCommand, which
// the master's check takes on trust: its program must exist, and run
// `sshshare known-hosts`.
func checkKnownHostsCommand(command string) Finding {
	words := commandWords(command)
	program := words[0]
	if info, err := os.Stat(program); err != nil || info.IsDir() || !runnable(info) {
		return broken("trust.line", "KnownHostsCommand "+command+": "+program+" is not a program ssh can run",
			"write the full path of sshshare: `KnownHostsCommand "+selfPath()+" known-hosts %H`")
	}
	if !upstream.RunsSSHShare(command, selfPath()) || !slices.Contains(words, "known-hosts") {
		return warn("trust.line", "KnownHostsCommand "+command+" does not run `sshshare known-hosts`: ssh accepts the master's key only if it prints sshshare's known_hosts lines",
			"write `KnownHostsCommand "+selfPath()+" known-hosts %H`, or the GlobalKnownHostsFile line (docs/setup.md)")
	}
	return ok("trust.line", "ssh trusts the master's local host key: KnownHostsCommand "+command)
}

// trustConfig is the part of c that localhop.CheckTrust reads, as
// upstream.ConfigLoader makes it: GlobalKnownHostsFile's ~ expanded.
func trustConfig(c Config) upstream.HostConfig {
	global := strings.Fields(c.Get("globalknownhostsfile"))
	if v, err := tokens.Local("", "", "", ""); err == nil {
		for i, f := range global {
			if e, err := tokens.ExpandTilde(f, v); err == nil {
				global[i] = e
			}
		}
	}
	return upstream.HostConfig{
		UserKnownHostsFiles:   strings.Fields(c.Get("userknownhostsfile")),
		GlobalKnownHostsFiles: global,
		KnownHostsCommand:     c.Get("knownhostscommand"),
		StrictHostKeyChecking: c.Get("stricthostkeychecking"),
	}
}

// firstValues is c with each keyword's first value.
func firstValues(c Config) map[string]string {
	m := make(map[string]string, len(c))
	for k := range c {
		m[k] = c.Get(k)
	}
	return m
}

// selfPath is this program's absolute path, for fixes.
func selfPath() string {
	exe, err := os.Executable()
	if err != nil {
		return "/full/path/to/sshshare"
	}
	return exe
}
