package upstream

import (
	"errors"
	"strings"
	"unicode"

	"github.com/sshshare/sshshare/share/vis"
)

// Prompter asks the user questions during an upstream login.
type Prompter interface {
	Ask(q Question) ([]string, error)
}

// Question is one keyboard-interactive round: a name, an instruction and
// prompts, each echoed or not.
type Question struct {
	Name, Instruction string
	Prompts           []string
	Echos             []bool
	// Password marks the password method's question: one prompt whose
	// answer is the account's password, which a local ssh that allows only
	// the password method can give.
	Password bool
}

// Questions reach the user through the local ssh as keyboard-interactive
// prompts, which ssh shows as the server's, "(user@host) ...": the
// master's own questions (a key's passphrase, an unknown or changed host
// key, adding a key to the agent) and the questions the server asks alike.
// A hostile server could then ask for a key's passphrase in the master's
// words. So the master's own questions start with LocalPrefix, and a
// server's text that starts a line with "sshshare" is marked as the
// server's (serverText): the user can tell them apart. The password method's
// "user@host's password:" is the server's question in ssh's words, and
// its answer goes to the server either way: it has no prefix.

// LocalPrefix starts every question the master asks on its own behalf.
const LocalPrefix = "sshshare: "

// local gives a question text of the master's own its prefix.
func local(text string) string { return LocalPrefix + text }

// serverMark is put before a line of server text that looks like one of
// the master's own questions.
const serverMark = "(from the server) "

// serverText is a server's keyboard-interactive text as relayed: each line
// that names "sshshare" (in any case, whatever spaces, escape sequences or
// invisible characters are mixed in) is marked with serverMark and has its
// control characters escaped (so that none can wipe the mark), so it
// cannot pass for the master's.
func serverText(s string) string {
	if !namesSSHShare(s) {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		if namesSSHShare(line) {
			lines[i] = serverMark + vis.Line(line)
		}
	}
	return strings.Join(lines, "\n")
}

// namesSSHShare reports whether s spells "sshshare" once everything but
// letters is left out.
func namesSSHShare(s string) bool {
	letters := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
	return strings.Contains(letters, "sshshare")
}

// ErrNoPrompter means the login needs an answer and nobody can give one.
var ErrNoPrompter = errors.New("login needs a password or answer, and no terminal or askpass can ask for it")

// ErrPrompterGone means the local ssh that was asked left, or refused to
// ask its user.
var ErrPrompterGone = errors.New("local ssh left without answering")
