package upstream

import "errors"

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

// ErrNoPrompter means the login needs an answer and nobody can give one.
var ErrNoPrompter = errors.New("login needs a password or answer, and no terminal or askpass can ask for it")

// ErrPrompterGone means the local ssh that was asked left, or refused to
// ask its user.
var ErrPrompterGone = errors.New("local ssh left without answering")
