package invoke

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/sshshare/sshshare/share/control"
)

// A master lives long after the ssh that started it, and its process
// environment stays in /proc/PID/environ for as long; it is also what the
// Go runtime reads its settings from at start. So a master is started
// with an allow-listed environment (MasterEnv), which holds what it needs
// itself:
//
//   - the user and the places: HOME, USER, LOGNAME, SHELL, PATH, TMPDIR,
//     XDG_* (XDG_RUNTIME_DIR holds the default sockets);
//   - the agent (SSH_AUTH_SOCK) and what ssh-keygen or a ProxyCommand
//     `ssh -W` would use to ask: SSH_ASKPASS*, DISPLAY, WAYLAND_DISPLAY,
//     XAUTHORITY, SSH_SK_PROVIDER; Kerberos (KRB5*);
//   - the language and time of messages: LANG, LANGUAGE, LC_*, TZ;
//   - HTTP proxies: http_proxy, https_proxy, no_proxy, all_proxy, either
//     case;
//   - sshshare's own SSHSHARE_* and the Go runtime's tuning: GOGC,
//     GOMEMLIMIT, GOMAXPROCS, GORACE, GOCOVERDIR, GODEBUG.
//
// Left out of it: tokens and keys of other programs, LD_PRELOAD and
// friends, the login session's SSH_CONNECTION and SSH_TTY, TERM, PWD, and
// GOTRACEBACK (crash would dump core).
//
// The commands a master runs (ProxyCommand, KnownHostsCommand, ssh -G for
// `Match exec`, ssh-keygen, askpass) get what ssh would give them, its
// whole environment: the invocation writes it on a pipe
// (control.EnvFDEnv, WriteEnviron) and the master sets it with os.Setenv
// before it runs anything (CommandEnv), so every command it starts
// inherits it. os.Setenv changes what exec hands on, not
// /proc/PID/environ, which shows the block the process started with. The
// values are in the master's memory, which the same user cannot read
// (sysio.HardenProcess). LD_PRELOAD and the like are handed on: ssh hands
// them to its ProxyCommand too, and they do nothing to the running
// master. Two differences from ssh remain: GOTRACEBACK is not handed on,
// and the runtime's variables (GODEBUG, GOGC, GOMEMLIMIT, GOMAXPROCS) are
// not set, so commands get MasterEnv's, that is GODEBUG with clobberfree
// added; setting GODEBUG would make the runtime parse it again.

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
// invoking ssh's): the variables on the allow-list above, with
// ClobberFree added to GODEBUG unless that sets clobberfree itself.
func MasterEnv(environ []string) []string {
	var out []string
	godebug := ""
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		switch {
		case !ok || name == "GOTRACEBACK":
		case name == "GODEBUG":
			godebug = value
		case keep(name, masterEnvNames):
			out = append(out, kv)
		}
	}
	if !strings.Contains(godebug, "clobberfree=") { // an explicit setting is the user's
		godebug = strings.TrimPrefix(godebug+","+ClobberFree, ",")
	}
	return append(out, "GODEBUG="+godebug)
}

// maxEnviron bounds the environment a master reads from its invocation;
// Linux allows a few megabytes for arguments and environment together.
const maxEnviron = 16 << 20

// notHandedOn are the variables WriteEnviron leaves out: the runtime's
// crash setting, and those that name an invocation's descriptors.
var notHandedOn = []string{"GOTRACEBACK", control.ReadyFDEnv, control.StderrFDEnv, control.EnvFDEnv}

// notSet are the variables CommandEnv leaves to MasterEnv: the Go
// runtime's, which it reads at start (and GODEBUG again when set).
var notSet = []string{"GODEBUG", "GOGC", "GOMEMLIMIT", "GOMAXPROCS"}

// WriteEnviron writes environ (the invoking ssh's) to a master in one
// write: its length as 4 bytes, big-endian, then each NAME=value ended by
// a NUL. GOTRACEBACK and the descriptor variables are left out.
func WriteEnviron(w io.Writer, environ []string) error {
	size := 4
	for _, kv := range environ {
		size += len(kv) + 1
	}
	buf := make([]byte, 4, size)
	for _, kv := range environ {
		name, _, ok := strings.Cut(kv, "=")
		if !ok || name == "" || slices.Contains(notHandedOn, name) || strings.IndexByte(kv, 0) >= 0 {
			continue
		}
		buf = append(append(buf, kv...), 0)
	}
	if len(buf)-4 > maxEnviron {
		return fmt.Errorf("environment of %d bytes: more than %d", len(buf)-4, maxEnviron)
	}
	binary.BigEndian.PutUint32(buf, uint32(len(buf)-4))
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("hand the environment to the master: %w", err)
	}
	return nil
}

// ReadEnviron reads the environment WriteEnviron wrote, all of it.
func ReadEnviron(r io.Reader) ([]string, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, fmt.Errorf("read the environment's length: %w", err)
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > maxEnviron {
		return nil, fmt.Errorf("environment of %d bytes: more than %d", size, maxEnviron)
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("read the environment (%d bytes): %w", size, err)
	}
	if size > 0 && buf[size-1] != 0 {
		return nil, errors.New("environment not ended by NUL")
	}
	var environ []string
	for kv := range strings.SplitSeq(strings.TrimSuffix(string(buf), "\x00"), "\x00") {
		if kv != "" {
			environ = append(environ, kv)
		}
	}
	return environ, nil
}

// CommandEnv is the part of environ (ReadEnviron's) a master sets with
// os.Setenv for the commands it runs: all but the runtime's variables
// and the descriptor ones, as name and value.
func CommandEnv(environ []string) [][2]string {
	var out [][2]string
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" || slices.Contains(notSet, name) || slices.Contains(notHandedOn, name) {
			continue
		}
		out = append(out, [2]string{name, value})
	}
	return out
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
