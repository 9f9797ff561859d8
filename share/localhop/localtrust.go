package localhop

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/upstream"
)

// ssh accepts the master's local host key through one line of the user's
// ssh config (docs/setup.md): KnownHostsFile listed as a known hosts file,
// or a KnownHostsCommand that runs `sshshare known-hosts`. A share master
// checks for one as it starts. Without it ssh would refuse the local key
// with "REMOTE HOST IDENTIFICATION HAS CHANGED" for a host whose key did
// not change, or offer to record the local key as the host's.

// knownHostsLine is the set-up line that lists KnownHostsFile, keeping the
// two system files ssh reads by default.
const knownHostsLine = "GlobalKnownHostsFile /etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2 ~/.ssh/sshshare/known_hosts"

// CheckTrust returns why ssh, configured as cfg, would not accept the
// local host keys, or nil when it will (or may: an absolute
// KnownHostsCommand is taken on trust). knownHosts is the path of
// KnownHostsFile.
func CheckTrust(cfg upstream.HostConfig, knownHosts string) error {
	files := slices.Concat(cfg.UserKnownHostsFiles, cfg.GlobalKnownHostsFiles)
	if slices.ContainsFunc(files, func(f string) bool { return samePath(f, knownHosts) }) {
		return nil
	}
	switch strings.ToLower(cfg.StrictHostKeyChecking) {
	case "no", "off", "false":
		return nil // the user asked ssh to accept any key
	}
	cmd := cfg.KnownHostsCommand
	if cmd == "" {
		return hint.With(errors.New("ssh has no way to accept sshshare's local host key: no KnownHostsCommand, and ~/.ssh/sshshare/known_hosts is not among its known hosts files"),
			"add `"+knownHostsLine+"` to the Host block (docs/setup.md)")
	}
	// ssh checks for a leading slash; IsAbs adds Windows' drive paths.
	if program := commandProgram(cmd); !filepath.IsAbs(program) && !strings.HasPrefix(program, "/") {
		return hint.With(fmt.Errorf("ssh will not run KnownHostsCommand %s: ssh runs only a program given by its absolute path", cmd),
			"replace that line of the Host block with `"+knownHostsLine+"` (docs/setup.md), or write the full path: `KnownHostsCommand "+executable()+" known-hosts %H`")
	}
	return nil
}

// commandProgram is the first word of a command line as ssh splits it:
// a leading double- or single-quoted word is taken without its quotes.
func commandProgram(cmd string) string {
	cmd = strings.TrimSpace(cmd)
	if cmd != "" && (cmd[0] == '"' || cmd[0] == '\'') {
		word, _, _ := strings.Cut(cmd[1:], cmd[:1])
		return word
	}
	word, _, _ := strings.Cut(cmd, " ")
	return word
}

// executable is the absolute path of this program, for hints.
func executable() string {
	exe, err := os.Executable()
	if err != nil {
		return "/full/path/to/sshshare"
	}
	return exe
}

// WithoutFile drops the local host key's known_hosts file from the files
// the upstream is checked against: its "*" entry would add the local key's
// algorithm to every host's HostKeyAlgorithms (golang/go#29286).
func WithoutFile(files []string, drop string) []string {
	var out []string
	for _, f := range files {
		if !samePath(f, drop) {
			out = append(out, f)
		}
	}
	return out
}

// samePath reports whether a and b name the same file once cleaned.
func samePath(a, b string) bool { return filepath.Clean(a) == filepath.Clean(b) }

// ScopeWarning returns a warning when the line that trusts the local host
// keys applies to hosts that sshshare's ProxyCommand does not serve, as in
// a `Host *` block: everywhere is what ssh -G prints for a host that no
// Host block names (upstream.ProbeHost), and knownHosts the path of
// KnownHostsFile. A server that showed a copy of the local keys would then
// pass for any of those hosts.
func ScopeWarning(everywhere map[string]string, knownHosts string) string {
	files := strings.Fields(everywhere["globalknownhostsfile"] + " " + everywhere["userknownhostsfile"])
	trusted := slices.ContainsFunc(files, func(f string) bool { return samePath(expandHome(f), knownHosts) }) ||
		strings.Contains(everywhere["knownhostscommand"], "known-hosts")
	if !trusted || strings.Contains(everywhere["proxycommand"], "sshshare") {
		return ""
	}
	return "warning: the line that trusts sshshare's local host key applies to every host, not only those sshshare serves; " +
		"a server holding a copy of that key could pass for any host you reach without sshshare: move the line into the Host block that runs sshshare (docs/security.md)"
}

// expandHome expands a leading ~/ as ssh does in known hosts file names.
func expandHome(path string) string {
	rest, ok := strings.CutPrefix(path, "~/")
	if !ok {
		return path
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return path
	}
	return filepath.Join(home, rest)
}
