// Package tokens turns a socket path template into the path of a master's
// Unix socket, expanding it exactly as OpenSSH 9.2 expands ControlPath, and
// keeps the result short enough to bind.
//
// Expansion happens in OpenSSH's order. First a leading ~ or ~user becomes
// that user's home directory from the password database, never $HOME
// (tilde_expand_filename). Then one left-to-right pass replaces %-tokens
// and ${ENV} references (percent_dollar_expand); what a token or variable
// expands to is not expanded again, but the home directory put in by the
// first step is, as in OpenSSH.
//
// The socket path decides who may talk to a master, and so who may use its
// logged-in connection: SocketPath falls back only to a directory it has
// checked is owned by the current user and writable by nobody else. Unlike
// OpenSSH, SocketPath escapes '/', '\', a whole "." or ".." and '%' in
// what %r, %h, %n and %k expand to (see escapeName): those come from the
// command line, an inventory or a link, and must not lead the socket out
// of the directory the template names.
package tokens

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultControlPath is the socket path template used when the user sets
// none: one socket per remote user, host and port.
const DefaultControlPath = "~/.ssh/sshshare/%r@%h-%p"

// Values are what the tokens expand to. Callers fill the remote fields
// from the ProxyCommand's arguments and the local ones with Local.
type Values struct {
	RemoteUser   string // %r
	Host         string // %h: the HostName ssh connects to, which ssh lowercases
	Port         string // %p
	Alias        string // %n: the host as typed; Host when empty
	HostKeyAlias string // %k: HostKeyAlias; Alias when empty
	LocalUser    string // %u
	Home         string // %d, and what a leading ~ expands to
	UID          string // %i
	LocalHost    string // %l: the local host name as gethostname returns it
	ShortHost    string // %L: LocalHost up to its first dot when empty
}

// TemplateError reports a template OpenSSH would refuse as a ControlPath.
type TemplateError struct {
	Template string
	Problem  string // what is wrong, naming the token or variable
	Err      error  // the underlying failure, if any
}

// Error returns the problem and the template, e.g.
// `unknown token %z in "~/%z"`.
func (e *TemplateError) Error() string {
	msg := e.Problem + " in " + strconv.Quote(e.Template)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying failure.
func (e *TemplateError) Unwrap() error { return e.Err }

// Local returns Values for the given remote fields with the local ones
// (LocalUser, Home, UID, LocalHost, ShortHost) taken from the running
// process, from the same sources ssh uses: the password entry of the real
// uid and the kernel's host name. $HOME is ignored, as ssh ignores it.
func Local(remoteUser, host, port, alias string) (Values, error) {
	u, err := user.Current()
	if err != nil {
		return Values{}, fmt.Errorf("look up current user: %w", err)
	}
	hostname, err := os.Hostname()
	if err != nil {
		return Values{}, fmt.Errorf("get local host name: %w", err)
	}
	short, _, _ := strings.Cut(hostname, ".")
	return Values{
		RemoteUser: remoteUser,
		Host:       host,
		Port:       port,
		Alias:      alias,
		LocalUser:  u.Username,
		Home:       u.HomeDir,
		UID:        u.Uid,
		LocalHost:  hostname,
		ShortHost:  short,
	}, nil
}

// Expand expands template as OpenSSH 9.2 expands ControlPath: a leading ~
// or ~user, then ${ENV} and the tokens %% %C %d %h %i %k %L %l %n %p %r %u.
// An unknown token, a lone % at the end, a malformed or unset ${VAR}, or an
// unknown ~user is a *TemplateError naming the culprit, where ssh would
// refuse the template too. A ~ with an empty Values.Home is an error
// rather than the root directory, and so is a NUL byte, which no C string
// can hold.
func Expand(template string, v Values) (string, error) {
	return expand(expander{template: template, v: v})
}

// expandSocket is Expand for a socket path: the target's names are escaped
// (see escapeName).
func expandSocket(template string, v Values) (string, error) {
	return expand(expander{template: template, v: v, names: true})
}

func expand(e expander) (string, error) {
	template := e.template
	if strings.IndexByte(template, 0) >= 0 {
		return "", e.fail("NUL byte", nil)
	}
	s, err := e.tilde(template)
	if err != nil {
		return "", err
	}
	out, err := e.percentDollar(s)
	if err != nil {
		return "", err
	}
	if strings.IndexByte(out, 0) >= 0 {
		return "", e.fail("NUL byte in the expansion", nil)
	}
	return out, nil
}

// ExpandTilde expands only a leading ~ or ~user of path, as ssh does for
// GlobalKnownHostsFile, which `ssh -G` prints unexpanded.
func ExpandTilde(path string, v Values) (string, error) {
	e := expander{template: path, v: v}
	return e.tilde(path)
}

// ExpandTokens expands only %-tokens and ${VAR}, with no ~, as ssh
// expands the arguments of KnownHostsCommand. extra adds tokens the
// keyword has beyond the common ones (KnownHostsCommand's %H %I %t %f %K)
// and takes precedence over them.
func ExpandTokens(s string, v Values, extra map[byte]string) (string, error) {
	e := expander{template: s, v: v, extra: extra}
	if strings.IndexByte(s, 0) >= 0 {
		return "", e.fail("NUL byte", nil)
	}
	return e.percentDollar(s)
}

// expander carries what error messages need: the template as given.
type expander struct {
	template string
	v        Values
	extra    map[byte]string
	// names escapes the values of the tokens that name the target (see
	// escapeName), for socket paths.
	names bool
}

func (e *expander) fail(problem string, err error) error {
	return &TemplateError{Template: e.template, Problem: problem, Err: err}
}

// tilde replaces a leading ~, ~/, ~user or ~user/ as OpenSSH's
// tilde_expand does: the home directory gets exactly one trailing slash,
// slashes after the ~ part are dropped, and a bare ~ keeps the slash.
func (e *expander) tilde(s string) (string, error) {
	rest, ok := strings.CutPrefix(s, "~")
	if !ok {
		return s, nil
	}
	name, path, _ := strings.Cut(rest, "/")
	home, err := e.home(name)
	if err != nil {
		return "", err
	}
	if !strings.HasSuffix(home, "/") {
		home += "/"
	}
	return home + strings.TrimLeft(path, "/"), nil
}

// home returns the home directory of the named user, or Values.Home for "".
func (e *expander) home(name string) (string, error) {
	if name == "" {
		if e.v.Home == "" {
			return "", e.fail("~ with no home directory", nil)
		}
		return e.v.Home, nil
	}
	u, err := user.Lookup(name)
	if noSuchAccount(err) {
		err = user.UnknownUserError(name)
	}
	if err != nil {
		return "", e.fail("expand ~"+name, err)
	}
	return u.HomeDir, nil
}

// percentDollar is OpenSSH's vdollar_percent_expand with both expansions
// on, byte for byte.
func (e *expander) percentDollar(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "${"):
			n, err := e.env(&b, s[i+2:])
			if err != nil {
				return "", err
			}
			i += 2 + n // the closing brace
		case s[i] != '%':
			b.WriteByte(s[i])
		case i+1 == len(s):
			return "", e.fail("lone % at the end", nil)
		default:
			i++
			if err := e.token(&b, s[i:]); err != nil {
				return "", err
			}
		}
	}
	return b.String(), nil
}

// env writes the value of the variable whose name s starts with, up to the
// first '}', and returns the name's length.
func (e *expander) env(b *strings.Builder, s string) (int, error) {
	name, _, ok := strings.Cut(s, "}")
	switch {
	case !ok:
		return 0, e.fail("env var ${"+s+" missing closing '}'", nil)
	case name == "":
		return 0, e.fail("empty env var name ${}", nil)
	}
	val, ok := os.LookupEnv(name)
	if !ok {
		return 0, e.fail("env var ${"+name+"} has no value", nil)
	}
	b.WriteString(val)
	return len(name), nil
}

// token writes the expansion of the token whose letter starts s.
func (e *expander) token(b *strings.Builder, s string) error {
	if s[0] == '%' {
		b.WriteByte('%')
		return nil
	}
	val, ok := e.extra[s[0]]
	if !ok {
		val, ok = e.v.token(s[0])
		if e.names && strings.IndexByte("rhnk", s[0]) >= 0 {
			val = escapeName(val)
		}
	}
	if !ok {
		return e.fail("unknown token "+tokenName(s), nil)
	}
	b.WriteString(val)
	return nil
}

// nameEscaper percent-encodes the bytes of a name that could lead a path
// elsewhere, and '%' itself, so that distinct names stay distinct.
var nameEscaper = strings.NewReplacer("%", "%25", "/", "%2F", "\\", "%5C")

// escapeName makes the value of %r, %h, %n or %k safe as part of a path
// component: `ssh -l ../../tmp/x host` must not put the socket in /tmp/x.
// '/' and '\' become %2F and %5C, a value of "." or ".." has its dots
// written %2E, and '%' becomes %25, so that no two values meet. Names
// without these bytes, which is every real user and host name, are left
// as they are.
func escapeName(s string) string {
	s = nameEscaper.Replace(s)
	if s == "." || s == ".." {
		s = strings.ReplaceAll(s, ".", "%2E")
	}
	return s
}

// tokenName spells the token starting s for an error message, as %z, or
// quoted when its letter is not printable.
func tokenName(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	if r != utf8.RuneError && strconv.IsPrint(r) {
		return "%" + string(r)
	}
	return strconv.QuoteToASCII("%" + s[:1])
}

// token returns what %c expands to, and false for a letter OpenSSH 9.2
// does not know in ControlPath (%j, for one, came later).
func (v Values) token(c byte) (string, bool) {
	switch c {
	case 'C':
		return v.connHash(), true
	case 'd':
		return v.Home, true
	case 'h':
		return v.Host, true
	case 'i':
		return v.UID, true
	case 'k':
		return v.keyAlias(), true
	case 'L':
		return v.shortHost(), true
	case 'l':
		return v.LocalHost, true
	case 'n':
		return v.alias(), true
	case 'p':
		return v.Port, true
	case 'r':
		return v.RemoteUser, true
	case 'u':
		return v.LocalUser, true
	}
	return "", false
}

// connHash is %C: ssh_connection_hash in OpenSSH 9.2, the hex SHA-1 of
// %l%h%p%r. SHA-1 only makes a short, stable name here; nothing relies on
// its collision resistance.
func (v Values) connHash() string {
	sum := sha1.Sum([]byte(v.LocalHost + v.Host + v.Port + v.RemoteUser))
	return hex.EncodeToString(sum[:])
}

func (v Values) alias() string {
	if v.Alias == "" {
		return v.Host
	}
	return v.Alias
}

func (v Values) keyAlias() string {
	if v.HostKeyAlias == "" {
		return v.alias()
	}
	return v.HostKeyAlias
}

func (v Values) shortHost() string {
	if v.ShortHost == "" {
		short, _, _ := strings.Cut(v.LocalHost, ".")
		return short
	}
	return v.ShortHost
}
