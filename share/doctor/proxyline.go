package doctor

import (
	"path/filepath"
	"strings"
)

// ProxyLine is sshshare's ProxyCommand line, as ssh would run it for a
// host: ssh expands its %-tokens, then runs it with `$SHELL -c "exec
// LINE"`.
type ProxyLine struct {
	// Program is sshshare's program as the line names it.
	Program string
	// Args are sshshare's arguments after the program, tokens expanded
	// and split as the shell splits them.
	Args []string
	// Wrapped says sshshare runs inside a shell script that does more
	// than run it (sh -c "sshshare ...; exit $?"): its parent process is
	// then the shell, not ssh, so it cannot read ssh's command line.
	Wrapped bool
}

// ProxyTokens are what ssh expands a ProxyCommand's tokens to: %h the
// host name, %n the host as typed, %p the port, %r the remote user.
type ProxyTokens struct {
	Host, Alias, Port, User string
}

// ParseProxyLine reads command, a ProxyCommand that runs sshshare as ssh
// -G prints it (upstream.RunsSSHShare decides whether it does), into
// sshshare's program and arguments; a shell wrapper's first command is
// the line. getenv expands $VAR as the shell would.
func ParseProxyLine(command string, t ProxyTokens, getenv func(string) string) ProxyLine {
	words := dropExec(shellWords(expandProxyTokens(command, t), getenv))
	if len(words) >= 3 && isShell(words[0]) && words[1] == "-c" {
		inner, more := firstCommand(words[2])
		line := ParseProxyLine(inner, ProxyTokens{}, getenv)
		line.Wrapped = line.Wrapped || more
		return line
	}
	if len(words) == 0 {
		return ProxyLine{}
	}
	return ProxyLine{Program: words[0], Args: words[1:]}
}

// HasFlag reports whether the line gives sshshare the flag name
// ("--alias"), as "--alias X" or "--alias=X".
func (l ProxyLine) HasFlag(name string) bool {
	for _, a := range l.Args {
		if a == "--" {
			return false
		}
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

// expandProxyTokens expands the tokens ssh expands in a ProxyCommand;
// others are left as they are.
func expandProxyTokens(s string, t ProxyTokens) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case '%':
			b.WriteByte('%')
		case 'h':
			b.WriteString(t.Host)
		case 'n':
			b.WriteString(t.Alias)
		case 'p':
			b.WriteString(t.Port)
		case 'r':
			b.WriteString(t.User)
		default:
			b.WriteByte('%')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// dropExec drops a leading `exec`.
func dropExec(words []string) []string {
	if len(words) > 0 && words[0] == "exec" {
		return words[1:]
	}
	return words
}

// isShell reports whether program is a shell a ProxyCommand may wrap
// sshshare in with -c.
func isShell(program string) bool {
	switch filepath.Base(program) {
	case "sh", "bash", "dash", "zsh", "ksh":
		return true
	}
	return false
}

// firstCommand is the first command of a shell script, and whether more
// follows it (the shell then cannot exec it in its own place).
func firstCommand(script string) (first string, more bool) {
	end := strings.IndexAny(script, ";&|\n")
	if end < 0 {
		return script, false
	}
	return script[:end], strings.TrimSpace(script[end:]) != ""
}

// shellWords splits s into words as a POSIX shell does for a simple
// command: blanks separate words, single quotes keep everything, double
// quotes keep all but $ and \, a backslash escapes the next byte, and
// $NAME or ${NAME} expand through getenv. Other expansions are not done.
func shellWords(s string, getenv func(string) string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				end = len(s) - i - 1
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '"':
			i = doubleQuoted(s, i+1, &cur, getenv)
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == '$':
			i += expandVar(s[i+1:], &cur, getenv)
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// doubleQuoted copies the double-quoted text of s from i into cur and
// returns the index of its closing quote.
func doubleQuoted(s string, i int, cur *strings.Builder, getenv func(string) string) int {
	for ; i < len(s) && s[i] != '"'; i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\", s[i+1]) >= 0:
			i++
			cur.WriteByte(s[i])
		case s[i] == '$':
			i += expandVar(s[i+1:], cur, getenv)
		default:
			cur.WriteByte(s[i])
		}
	}
	return i
}

// expandVar writes the value of the variable named at the start of s
// ($NAME or ${NAME}, the $ already read) into cur, or a plain $ when no
// name follows, and returns how many bytes of s it read.
func expandVar(s string, cur *strings.Builder, getenv func(string) string) int {
	if strings.HasPrefix(s, "{") {
		if end := strings.IndexByte(s, '}'); end > 0 {
			cur.WriteString(getenv(s[1:end]))
			return end + 1
		}
	}
	n := 0
	for n < len(s) && (s[n] == '_' || s[n] >= 'a' && s[n] <= 'z' || s[n] >= 'A' && s[n] <= 'Z' || n > 0 && s[n] >= '0' && s[n] <= '9') {
		n++
	}
	if n == 0 {
		cur.WriteByte('$')
		return 0
	}
	cur.WriteString(getenv(s[:n]))
	return n
}
