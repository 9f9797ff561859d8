package upstream

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sshshare/sshshare/tokens"
)

// The master's view of the config is ssh's own, without sshshare's line.
// OpenSSH takes the first ProxyCommand or ProxyJump it reads, so the line
// that made ssh run sshshare hides the route the user wrote after it (a
// ProxyJump, or an upstream ProxyCommand such as AWS SSM), and `ssh -G`
// never prints that route. The view is a private copy of the config files
// with each ProxyCommand that runs sshshare commented out, fed to ssh -G
// with -F: it costs no extra ssh -G, only the copy, and none at all when no
// file holds such a line.

// SystemConfig is the system-wide ssh config that ssh reads after the
// user's when it is not given -F: /etc/ssh/ssh_config, and for
// Win32-OpenSSH %ProgramData%\ssh\ssh_config.
var SystemConfig = systemConfig()

// maxIncludeDepth is OpenSSH's READCONF_MAX_DEPTH: deeper Includes are an
// error ssh reports itself, so the view leaves them as they are.
const maxIncludeDepth = 16

// viewMark starts a line of the view that was sshshare's ProxyCommand.
const viewMark = "# sshshare view, left out: "

// configView builds the view's files for one ssh -G.
type configView struct {
	self   string            // this executable, whose ProxyCommand lines are left out
	home   string            // the password entry's home, as ssh's ~
	dir    string            // private directory of the copies, made on first need
	copies map[string]string // a file read: its copy, or "" when it needs none
	n      int               // copies written, for unique names
	found  bool              // a ProxyCommand line was left out
	routes bool              // a route line (ProxyJump, another ProxyCommand) was read
}

// view returns the config file ssh -G should read for the master, and a
// func that removes any copy it wrote. It is file itself, or "" (ssh's
// default files), when no file holds sshshare's ProxyCommand: the common
// case costs only reading the files. Otherwise it is a copy in a private
// directory (0700, files 0600) with those lines commented out and each
// Include that reaches one rewritten to name copies. Without -F, ssh reads
// ~/.ssh/config and then SystemConfig, and `ssh -F` skips the system file,
// so a copy of the user's file ends by including the system file (or its
// copy) after a `Match all`.
func (l ConfigLoader) view() (file string, done func(), err error) {
	file, _, done, err = l.buildView()
	return file, done, err
}

// MayRoute reports whether the config files hold a route line besides
// sshshare's own (a ProxyJump, or another ProxyCommand, in any block):
// when none does, the view has no route, and an invocation need not ask
// ssh -G for it. It reads the files, and runs nothing.
func (l ConfigLoader) MayRoute() bool {
	_, v, done, err := l.buildView()
	done()
	return err != nil || v == nil || v.routes
}

// buildView is view's work; v is nil when the files could not be read
// for want of a home directory.
func (l ConfigLoader) buildView() (file string, _ *configView, done func(), err error) {
	v := &configView{self: l.Self, copies: make(map[string]string)}
	done = func() {
		if v.dir != "" {
			os.RemoveAll(v.dir)
		}
	}
	if NoConfig(l.ConfigFile) {
		return l.ConfigFile, v, done, nil // no file to read, nor to filter
	}
	values, err := tokens.Local("", "", "", "")
	if err != nil {
		// No password entry: ssh itself refuses to run, and says why.
		return l.ConfigFile, nil, done, nil
	}
	v.home = values.Home
	if l.ConfigFile != "" {
		file, err = v.filtered(l.ConfigFile, false, 0)
	} else {
		file, err = v.defaults()
	}
	if err != nil || !v.found {
		return l.ConfigFile, v, done, err
	}
	return file, v, done, nil
}

// defaults is the view of ssh's default files, or "" when neither holds
// sshshare's line.
func (v *configView) defaults() (string, error) {
	user := filepath.Join(v.home, ".ssh", "config")
	userCopy, err := v.filtered(user, false, 0)
	if err != nil {
		return "", err
	}
	systemCopy, err := v.filtered(SystemConfig, true, 0)
	if err != nil || !v.found {
		return "", err
	}
	if userCopy == "" {
		if userCopy, err = v.copyOf(user, readOrEmpty(user)); err != nil {
			return "", err
		}
	}
	system := SystemConfig
	if systemCopy != "" {
		system = systemCopy
	}
	f, err := os.OpenFile(userCopy, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return "", fmt.Errorf("config view: %w", err)
	}
	_, err = fmt.Fprintf(f, "\nMatch all\nInclude %s\n", quoteArg(system))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return userCopy, err
}

// readOrEmpty is the file's content, or nothing when it cannot be read
// (ssh skips a missing default file).
func readOrEmpty(path string) []byte {
	b, _ := os.ReadFile(path)
	return b
}

// filtered returns the path of a filtered copy of the config file at path,
// or "" when it (and every file it includes) holds no sshshare ProxyCommand
// and can be read as it is. system says the file is ssh's system-wide one,
// whose relative Includes are under /etc/ssh: a copy of it, read as part of
// the user's config, names them in full. A file that cannot be read is
// left for ssh to report.
func (v *configView) filtered(path string, system bool, depth int) (string, error) {
	if c, ok := v.copies[path]; ok {
		return c, nil
	}
	v.copies[path] = "" // an Include cycle reads it as is; ssh reports it
	content, err := os.ReadFile(path)
	if err != nil || depth > maxIncludeDepth {
		return "", nil
	}
	out, changed, err := v.rewrite(content, system, depth)
	if err != nil || !changed {
		return "", err
	}
	c, err := v.copyOf(path, out)
	v.copies[path] = c
	return c, err
}

// rewrite filters one file's lines: sshshare's ProxyCommand lines are
// commented out and Includes that reach them name the copies. changed
// reports whether anything differs from content.
func (v *configView) rewrite(content []byte, system bool, depth int) (out []byte, changed bool, err error) {
	var b bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(content))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		keyword, value := splitConfigLine(line)
		switch strings.ToLower(keyword) {
		case "proxycommand":
			if v.runsSSHShare(value) {
				line, changed, v.found = viewMark+line, true, true
			} else if !strings.EqualFold(value, "none") {
				v.routes = true
			}
		case "proxyjump":
			if !strings.EqualFold(value, "none") {
				v.routes = true
			}
		case "include":
			rewritten, inc, err := v.include(line, value, system, depth)
			if err != nil {
				return nil, false, err
			}
			if inc {
				line, changed = rewritten, true
			}
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.Bytes(), changed, sc.Err()
}

// include rewrites one Include line when a file it names (through its
// globs) needed a copy, or when it sits in the system file and names
// files relative to /etc/ssh; ok is false when the line can stay.
func (v *configView) include(line, value string, system bool, depth int) (rewritten string, ok bool, err error) {
	args := splitArgs(value)
	out := make([]string, 0, len(args))
	for _, arg := range args {
		pattern := v.includePattern(arg, system)
		paths, reached, err := v.included(pattern, system, depth)
		if err != nil {
			return "", false, err
		}
		switch {
		case reached:
			ok = true
			for _, p := range paths {
				out = append(out, quoteArg(p))
			}
		case system && pattern != arg:
			ok = true
			out = append(out, quoteArg(pattern))
		default:
			out = append(out, quoteArg(arg))
		}
	}
	indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
	return indent + "Include " + strings.Join(out, " "), ok, nil
}

// includePattern anchors an Include argument as ssh does: ~ is the home
// directory, and a relative path is under ~/.ssh for the user's config or
// /etc/ssh for the system's.
func (v *configView) includePattern(arg string, system bool) string {
	switch {
	case arg == "~" || strings.HasPrefix(arg, "~/"):
		return filepath.Join(v.home, strings.TrimPrefix(arg, "~"))
	case filepath.IsAbs(arg) || strings.HasPrefix(arg, "~"):
		return arg
	case system:
		return filepath.Join(filepath.Dir(SystemConfig), arg)
	}
	return filepath.Join(v.home, ".ssh", arg)
}

// included expands an Include pattern as ssh's glob(3) does, and reports
// whether any of the files needed a copy; paths then names each file or
// its copy, in ssh's order.
func (v *configView) included(pattern string, system bool, depth int) (paths []string, reached bool, err error) {
	matches, _ := filepath.Glob(pattern)
	for _, m := range matches {
		if strings.HasPrefix(filepath.Base(m), ".") && !strings.HasPrefix(filepath.Base(pattern), ".") {
			continue // glob(3) without GLOB_PERIOD: * does not match a leading dot
		}
		c, err := v.filtered(m, system, depth+1)
		if err != nil {
			return nil, false, err
		}
		if c != "" {
			reached = true
			m = c
		}
		paths = append(paths, m)
	}
	return paths, reached, nil
}

// copyOf writes content as the copy of the file at path, in the view's
// private directory.
func (v *configView) copyOf(path string, content []byte) (string, error) {
	if v.dir == "" {
		dir, err := os.MkdirTemp("", "sshshare-view-")
		if err != nil {
			return "", fmt.Errorf("config view: %w", err)
		}
		v.dir = dir
	}
	v.n++
	name := filepath.Join(v.dir, strconv.Itoa(v.n)+"-"+filepath.Base(path))
	if err := os.WriteFile(name, content, 0o600); err != nil {
		return "", fmt.Errorf("config view: %w", err)
	}
	return name, nil
}

// runsSSHShare reports whether a ProxyCommand runs sshshare: its program
// (after an optional exec) is named sshshare, or is this executable.
func (v *configView) runsSSHShare(command string) bool {
	return RunsSSHShare(command, v.self)
}

// RunsSSHShare reports whether the ProxyCommand command runs sshshare: its
// program, after an optional `exec`, is named sshshare (sshshare.exe), or
// is the file self (this executable; "" skips that test).
func RunsSSHShare(command, self string) bool {
	args := splitArgs(command)
	if len(args) > 0 && args[0] == "exec" {
		args = args[1:]
	}
	if len(args) == 0 {
		return false
	}
	prog := args[0]
	base := strings.TrimSuffix(strings.ToLower(filepath.Base(prog)), ".exe")
	if base == "sshshare" {
		return true
	}
	if shells[base] && len(args) >= 3 && args[1] == "-c" {
		// A wrapper such as sh -c 'sshshare ...; exit $?': the script's
		// own first command decides.
		return RunsSSHShare(args[2], self)
	}
	if self == "" {
		return false
	}
	if strings.HasPrefix(prog, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			prog = filepath.Join(home, prog[2:])
		}
	}
	if !strings.ContainsRune(prog, filepath.Separator) {
		var err error
		if prog, err = exec.LookPath(prog); err != nil {
			return false
		}
	}
	a, errA := os.Stat(prog)
	b, errB := os.Stat(self)
	return errA == nil && errB == nil && os.SameFile(a, b)
}

// shells are the shells a ProxyCommand may wrap sshshare in with -c.
var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "zsh": true, "ksh": true}

// splitConfigLine splits an ssh_config line into its keyword and the rest,
// as ssh reads it: the keyword ends at white space or "=", and one "="
// may separate it from the value. Comments and blank lines have no
// keyword.
func splitConfigLine(line string) (keyword, value string) {
	s := strings.TrimLeft(line, " \t")
	if s == "" || s[0] == '#' {
		return "", ""
	}
	end := strings.IndexAny(s, " \t=")
	if end < 0 {
		return s, ""
	}
	keyword, s = s[:end], strings.TrimLeft(s[end:], " \t")
	if strings.HasPrefix(s, "=") {
		s = strings.TrimLeft(s[1:], " \t")
	}
	return keyword, strings.TrimRight(s, " \t\r")
}

// splitArgs splits a value into arguments as OpenSSH's argv_split does:
// white space separates them, and double or single quotes and backslash
// escapes keep it in one. A backslash escapes only a quote, a backslash
// or, outside quotes, a space; before anything else it stays, as in a
// Windows path (Include C:\Users\me\.ssh\conf.d\*).
func splitArgs(s string) []string {
	var args []string
	var cur strings.Builder
	var quote byte
	inArg := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && quote != '\'' && strings.IndexByte(`'"\\`, s[i+1]) >= 0,
			c == '\\' && i+1 < len(s) && quote == 0 && s[i+1] == ' ':
			i++
			cur.WriteByte(s[i])
			inArg = true
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '"' || c == '\'':
			quote, inArg = c, true
		case c == ' ' || c == '\t':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteByte(c)
			inArg = true
		}
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args
}

// quoteArg quotes an argument for a config line when it holds white space
// or quotes, so splitArgs reads it back as one.
func quoteArg(s string) string {
	if !strings.ContainsAny(s, " \t\"'\\") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}
