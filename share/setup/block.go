package setup

import (
	"fmt"
	"strings"
)

// Placeholder is the Host pattern of a block printed without patterns.
const Placeholder = "HOST-PATTERN"

// Block is sshshare's Host block for some hosts: what `sshshare config`
// prints and `--install` writes to sshshare's own config file.
type Block struct {
	// Patterns are the Host line's patterns, as given (see
	// ValidatePattern); none prints Placeholder with a comment.
	Patterns []string
	// Program is the absolute path of the sshshare binary: ssh runs the
	// ProxyCommand through $SHELL, where PATH may not reach it.
	Program string
	// ProxyArgs are sshshare flags for the ProxyCommand line beyond
	// --alias (a non-default --control-path, --persist ...), unquoted.
	ProxyArgs []string
	// MuxPath is the ControlPath of the mux door, a template with ssh's
	// tokens; "" leaves the door's two lines out.
	MuxPath string
	// KnownHostsFiles are the GlobalKnownHostsFile list: the system's
	// files and, last, sshshare's known_hosts with the local host keys.
	KnownHostsFiles []string
	// SSHVersion is what `ssh -V` printed ("OpenSSH_9.2p1 ..."), or "".
	SSHVersion string
	// Windows makes the block for Win32-OpenSSH, which runs a
	// ProxyCommand with no shell (CreateProcess on the line as it
	// stands, with ssh.exe's directory put before a relative program)
	// and has no ControlMaster: the ProxyCommand is a Windows command
	// line and the mux door's lines are left out.
	Windows bool
}

// Render returns the block as ssh_config text: a header, the Host line,
// and each keyword under a one-line comment saying what it does.
func (b Block) Render() string {
	var w strings.Builder
	b.header(&w)
	patterns := b.Patterns
	if len(patterns) == 0 {
		patterns = []string{Placeholder}
	}
	fmt.Fprintf(&w, "Host %s\n", strings.Join(patterns, " "))
	line := func(comment, keyword, value string) {
		fmt.Fprintf(&w, "    # %s\n    %s %s\n", comment, keyword, value)
	}
	line("Connect through sshshare: one shared login per host; %n is the name you typed.",
		"ProxyCommand", b.proxyCommand())
	if b.MuxPath != "" && !b.Windows {
		line("The mux door: ssh reaches a running master in-process on this socket.",
			"ControlPath", configArg(b.MuxPath))
		line("No master of ssh's own there: sshshare's master answers on that socket.",
			"ControlMaster", "no")
	}
	line("Trust the master's local host key (sshshare's known_hosts) beside the system's files.",
		"GlobalKnownHostsFile", joinConfigArgs(b.KnownHostsFiles))
	return w.String()
}

// header is the block's opening comment: what wrote it, for which ssh,
// and what a placeholder pattern means.
func (b Block) header(w *strings.Builder) {
	w.WriteString("# sshshare's Host block, written by `sshshare config`")
	if b.SSHVersion != "" {
		fmt.Fprintf(w, " for %s", b.SSHVersion)
	}
	w.WriteString(".\n")
	w.WriteString("# ssh takes the first value of each keyword: keep this before other Host blocks.\n")
	if b.Windows {
		w.WriteString("# For Win32-OpenSSH: no shell runs the ProxyCommand, so sshshare.exe is named in full; it has no ControlMaster, so there is no mux door.\n")
	}
	if len(b.Patterns) == 0 {
		fmt.Fprintf(w, "# %s is a placeholder: name your hosts (sshshare config 'web-*' '10.5.*').\n", Placeholder)
	}
}

// proxyCommand is the ProxyCommand value: the program and its arguments
// quoted for the shell ssh runs it with, then `%` doubled where ssh must
// not expand it itself (ssh expands %-tokens in ProxyCommand first).
func (b Block) proxyCommand() string {
	quote := ShellQuote
	if b.Windows {
		quote = WindowsQuote
	}
	words := []string{tokenSafe(quote(b.Program))}
	for _, a := range b.ProxyArgs {
		words = append(words, tokenSafe(quote(a)))
	}
	words = append(words, "--alias", "%n", "%r", "%h", "%p")
	return strings.Join(words, " ")
}

// tokenSafe doubles `%` so ssh's expansion hands it on unchanged.
func tokenSafe(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// ShellQuote quotes s for a POSIX shell: as is when every byte is one the
// shell leaves alone, else in single quotes.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, shellSafe) == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// WindowsQuote quotes s for a Windows command line as the C runtime (and
// Go's os.Args) reads it back: as is unless it is empty or holds a space,
// a tab or a double quote; else in double quotes, with a quote and the
// backslashes before a quote or the closing quote doubled as the rules
// require (syscall.EscapeArg's rules, here for every GOOS).
func WindowsQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, slashes+1))
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteByte(s[i])
	}
	b.WriteString(strings.Repeat(`\`, slashes))
	b.WriteByte('"')
	return b.String()
}

// shellSafe are the bytes a shell word may hold unquoted here. `~` is
// not among them: sshshare expands it in its own flags, the shell need not.
const shellSafe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-"

// configArg quotes one ssh_config argument when it holds white space or
// quotes, as OpenSSH's argv_split reads it back.
func configArg(s string) string {
	if !strings.ContainsAny(s, " \t\"'\\#") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// joinConfigArgs is args as one ssh_config value.
func joinConfigArgs(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = configArg(a)
	}
	return strings.Join(out, " ")
}

// KnownHostsFiles is the GlobalKnownHostsFile list: the system's files
// (what ssh -G reports, without sshshare's own) and then ours.
func KnownHostsFiles(system []string, ours string) []string {
	var out []string
	for _, f := range system {
		if f != ours && f != "none" {
			out = append(out, f)
		}
	}
	return append(out, ours)
}
