package invoke

import (
	"path"
	"strings"
)

// A master lives long after the ssh that started it, and everything in its
// environment stays readable in /proc/PID/environ for as long (to the same
// user). So it does not inherit that ssh's environment whole, as ssh's
// ControlMaster does, but the variables it and the commands it runs need:
//
//   - the user and the places: HOME, USER, LOGNAME, SHELL, PATH, TMPDIR,
//     XDG_* (XDG_RUNTIME_DIR holds the default sockets);
//   - the agent (SSH_AUTH_SOCK) and what ssh-keygen or a ProxyCommand
//     `ssh -W` would use to ask: SSH_ASKPASS*, DISPLAY, WAYLAND_DISPLAY,
//     XAUTHORITY, SSH_SK_PROVIDER; Kerberos (KRB5*);
//   - the language and time of messages: LANG, LANGUAGE, LC_*, TZ;
//   - the proxies a ProxyCommand (cloudflared, aws ssm, corkscrew) may go
//     through: http_proxy, https_proxy, no_proxy, all_proxy, either case;
//   - sshshare's own SSHSHARE_* and the Go runtime's tuning: GOGC,
//     GOMEMLIMIT, GOMAXPROCS, GORACE, GOCOVERDIR, GODEBUG.
//
// Left out: tokens and keys of other programs, LD_PRELOAD and friends,
// GOTRACEBACK (crash would dump core), the login session's SSH_CONNECTION
// and SSH_TTY, TERM (the master has no terminal) and PWD.
//
// That is a trade-off against ssh, which runs its ProxyCommand,
// KnownHostsCommand and `Match exec` with its whole environment: a command
// that reads a variable of its own (AWS_PROFILE, a token for a bastion)
// does not get it from a master unless the user names it in
// SSHSHARE_PASS_ENV (patterns as in ssh's SendEnv, separated by spaces or
// commas; "*" keeps everything but GOTRACEBACK).

// PassEnv names the variable that lists more variables for a master to
// keep.
const PassEnv = "SSHSHARE_PASS_ENV"

// ClobberFree is the GODEBUG setting with which the Go runtime overwrites
// memory as it frees it: the copies of a password or a decrypted key that
// x/crypto and the runtime made during a login (packet buffers, strings)
// are gone once collected, instead of staying until the memory is reused.
// The master collects right after its login (see share.Master). The cost
// is a write over every freed byte: about a tenth more master CPU in a bulk
// transfer, which x/crypto does with a fresh buffer per packet. A GODEBUG
// that sets clobberfree itself (clobberfree=0) is the user's choice.
const ClobberFree = "clobberfree=1"

// masterEnvNames are the variables a master keeps; a trailing * matches
// any suffix.
var masterEnvNames = []string{
	"HOME", "USER", "LOGNAME", "SHELL", "PATH", "TMPDIR", "XDG_*",
	"SSH_AUTH_SOCK", "SSH_ASKPASS*", "DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "SSH_SK_PROVIDER", "KRB5*",
	"LANG", "LANGUAGE", "LC_*", "TZ",
	"http_proxy", "https_proxy", "no_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY",
	"SSHSHARE_*", "GOGC", "GOMEMLIMIT", "GOMAXPROCS", "GORACE", "GOCOVERDIR",
}

// MasterEnv is the environment to start a master with, from environ (the
// invoking ssh's): the variables on the allow-list above and those PassEnv
// names, less GOTRACEBACK, with ClobberFree added to GODEBUG unless that
// sets clobberfree itself.
func MasterEnv(environ []string) []string {
	extra := passPatterns(environ)
	var out []string
	godebug := ""
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		switch {
		case !ok || name == "GOTRACEBACK":
		case name == "GODEBUG":
			godebug = value
		case keep(name, masterEnvNames) || keep(name, extra):
			out = append(out, kv)
		}
	}
	if !strings.Contains(godebug, "clobberfree=") { // an explicit setting is the user's
		godebug = strings.TrimPrefix(godebug+","+ClobberFree, ",")
	}
	return append(out, "GODEBUG="+godebug)
}

// ClearsFreedMemory reports whether a GODEBUG value turns ClobberFree on:
// its last clobberfree setting wins, as in the runtime.
func ClearsFreedMemory(godebug string) bool {
	on := false
	for _, f := range strings.Split(godebug, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(f), "clobberfree="); ok {
			on = v != "0" && v != ""
		}
	}
	return on
}

// passPatterns are the patterns of PassEnv in environ.
func passPatterns(environ []string) []string {
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, PassEnv+"="); ok {
			return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
		}
	}
	return nil
}

// keep reports whether name matches one of patterns (path.Match syntax:
// * and ?, as ssh's SendEnv).
func keep(name string, patterns []string) bool {
	for _, p := range patterns {
		if ok, err := path.Match(p, name); err == nil && ok {
			return true
		}
	}
	return false
}
