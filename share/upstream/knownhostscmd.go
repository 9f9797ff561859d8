package upstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/sshshare/sshshare/share/sysio"
	"github.com/sshshare/sshshare/tokens"
	"golang.org/x/crypto/ssh"
)

// knownHostsCommand is KnownHostsCommand as ssh runs it (sshconnect.c,
// load_hostkeys_command): the line is split into words as ssh splits it,
// with no shell; every word but the program gets ~-less %-token and ${VAR}
// expansion with the extra tokens %H %I %t %f %K; the program runs only by
// its absolute path, with stdin on /dev/null and the environment kept; its
// stdout lines are known_hosts lines for the lookup, and an unclean exit
// fails the host key check. ssh runs it twice per connection: once before
// the key exchange to order host key algorithms (%I ORDER, no key), and
// once to check the key the server presented (%I HOSTNAME).
type knownHostsCommand struct {
	argv []string
	// skipped says why ssh would not run the command (not an absolute
	// path, no such program); the check goes on without its lines.
	skipped string
	values  tokens.Values
	ctx     context.Context
	wait    time.Duration // bounds one run: a hung command must not hang the login
}

// kind of run, for %I.
const (
	invocationOrder    = "ORDER"
	invocationHostname = "HOSTNAME"
)

// newKnownHostsCommand prepares line for running, or returns nil when
// there is none. sshshare's own `sshshare known-hosts` is left out: it
// prints the local hop's keys for ssh, which are not the upstream's.
func newKnownHostsCommand(ctx context.Context, line string, v tokens.Values, wait time.Duration) (*knownHostsCommand, error) {
	if line == "" || strings.EqualFold(line, "none") {
		return nil, nil
	}
	argv, err := splitArgv(line)
	if err != nil {
		return nil, fmt.Errorf("KnownHostsCommand %q: %w", line, err)
	}
	if len(argv) == 0 || isOwnKnownHosts(argv) {
		return nil, nil
	}
	c := &knownHostsCommand{argv: argv, values: v, ctx: ctx, wait: wait}
	switch _, err := os.Stat(argv[0]); {
	case !strings.HasPrefix(argv[0], "/"):
		c.skipped = fmt.Sprintf("KnownHostsCommand %s was not run: ssh runs only a program given by its absolute path", argv[0])
	case err != nil:
		c.skipped = fmt.Sprintf("KnownHostsCommand was not run: %v", err)
	}
	return c, nil
}

// isOwnKnownHosts reports whether argv runs `sshshare known-hosts`, the
// local hop's set-up line (docs/setup.md).
func isOwnKnownHosts(argv []string) bool {
	if len(argv) < 2 || argv[1] != "known-hosts" {
		return false
	}
	if filepath.Base(argv[0]) == "sshshare" {
		return true
	}
	self, err := os.Executable()
	if err != nil {
		return false
	}
	a, errA := os.Stat(argv[0])
	b, errB := os.Stat(self)
	return errA == nil && errB == nil && os.SameFile(a, b)
}

// lines runs the command for name (%H) and returns what it printed. key
// is nil for the ORDER run. It returns nil when ssh would not run it.
func (c *knownHostsCommand) lines(invocation, name string, key ssh.PublicKey) ([]byte, error) {
	if c == nil || c.skipped != "" {
		return nil, nil
	}
	argv, err := c.expand(invocation, name, key)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.wait)
	defer cancel()
	cmd := sysio.NoWindow(exec.CommandContext(ctx, argv[0], argv[1:]...))
	cmd.Dir = sysio.StartDir() // where ssh would run it
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w after %v", ctx.Err(), c.wait)
		}
		if msg := lastLine(stderr.String()); msg != "" {
			err = fmt.Errorf("%w: %s", err, msg)
		}
		return nil, &KnownHostsCommandError{Command: strings.Join(argv, " "), err: err}
	}
	return stdout.Bytes(), nil
}

// expand expands the tokens of every word but the program, as ssh does.
func (c *knownHostsCommand) expand(invocation, name string, key ssh.PublicKey) ([]string, error) {
	extra := map[byte]string{'H': name, 'I': invocation, 't': "NONE", 'f': "NONE", 'K': "NONE"}
	if key != nil {
		extra['t'] = key.Type()
		extra['f'] = ssh.FingerprintSHA256(key)
		extra['K'] = base64Key(key)
	}
	out := []string{c.argv[0]}
	for _, word := range c.argv[1:] {
		w, err := tokens.ExpandTokens(word, c.values, extra)
		if err != nil {
			return nil, fmt.Errorf("KnownHostsCommand: %w", err)
		}
		out = append(out, w)
	}
	return out, nil
}

// base64Key is the key's wire form in base64, as in a known_hosts line.
func base64Key(key ssh.PublicKey) string {
	_, b64, _ := strings.Cut(strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key))), " ")
	return b64
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// KnownHostsCommandError is a KnownHostsCommand that failed: ssh stops
// with "KnownHostsCommand failed", and so does the login.
type KnownHostsCommandError struct {
	Command string
	err     error
}

func (e *KnownHostsCommandError) Error() string {
	return fmt.Sprintf("KnownHostsCommand failed: %s: %v", e.Command, e.err)
}

func (e *KnownHostsCommandError) Unwrap() error { return e.err }

// errBadQuotes is a command line whose quotes do not close.
var errBadQuotes = errors.New("contains invalid quotes")

// splitArgv splits a command line into words as OpenSSH's argv_split does:
// spaces and tabs separate words, single or double quotes group, and a
// backslash escapes a quote, a backslash, or (outside quotes) a space; any
// other backslash stays.
func splitArgv(s string) ([]string, error) {
	var argv []string
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\t' {
			continue
		}
		var word []byte
		var quote byte
	scan:
		for ; i < len(s); i++ {
			ch := s[i]
			switch {
			case ch == '\\' && i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '"' || s[i+1] == '\\' || quote == 0 && s[i+1] == ' '):
				i++
				word = append(word, s[i])
			case quote == 0 && (ch == ' ' || ch == '\t'):
				break scan
			case quote == 0 && (ch == '"' || ch == '\''):
				quote = ch
			case quote != 0 && ch == quote:
				quote = 0
			default:
				word = append(word, ch)
			}
		}
		if quote != 0 {
			return nil, errBadQuotes
		}
		argv = append(argv, string(word))
	}
	return argv, nil
}

// SplitArgv is splitArgv for the doctor, which reads a KnownHostsCommand
// as ssh does; a line whose quotes do not close is one word.
func SplitArgv(s string) []string {
	argv, err := splitArgv(s)
	if err != nil || len(argv) == 0 {
		return []string{s}
	}
	return argv
}
