package share

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/upstream"
	"golang.org/x/crypto/ssh"
)

// Prompts during the master's upstream login (password, keyboard-
// interactive/MFA, key passphrase, unknown host key) are relayed to a local
// ssh that is waiting for the master, as keyboard-interactive questions.
// That ssh asks its user with its own terminal or askpass logic and honours
// its own BatchMode, exactly as if the server had asked. A local ssh whose
// settings allow only the password method (PreferredAuthentications
// password, KbdInteractiveAuthentication no) answers the upstream's
// password question through that method: it asks with its own
// "user@host's password:" prompt, as plain ssh would for that server.

// promptGrace is how long a question waits for a local ssh to take it when
// none is connecting: long enough for the spawning ssh to arrive, short
// enough to fail at once in scripts.
const promptGrace = 1500 * time.Millisecond

// Login is the state of the master's upstream login, shared by the goroutine
// that logs in and the local clients that wait for it or answer its
// questions.
type Login struct {
	done      chan struct{}
	err       error
	questions chan *pending
	asking    chan struct{} // closed at the first question
	askOnce   sync.Once
	waiting   atomic.Int32 // local clients in their auth phase

	starterSeen chan struct{} // closed when the starter's hello arrived
	starterOnce sync.Once
	canPrompt   atomic.Bool

	// ended, if set, is closed when the master ends: a failure held for
	// the starter (holdFailure) is not held past it.
	ended <-chan struct{}
}

// pending is a question waiting for its answers.
type pending struct {
	q      upstream.Question
	answer chan answerMsg
}

type answerMsg struct {
	answers []string
	err     error
}

// newLogin returns a login in progress.
func newLogin() *Login {
	return &Login{done: make(chan struct{}), questions: make(chan *pending), asking: make(chan struct{}),
		starterSeen: make(chan struct{})}
}

// Starter records whether the invocation that started the master can ask
// the user anything. Without a terminal or askpass, its ssh would answer
// every question with an empty string: sent upstream, that is a failed
// password attempt (account lockouts), so the login fails at once instead.
func (l *Login) Starter(canPrompt bool) {
	l.starterOnce.Do(func() {
		l.canPrompt.Store(canPrompt)
		close(l.starterSeen)
	})
}

// starterCanPrompt waits briefly for the starter's hello and reports
// whether it said it can prompt. A master started by hand has no starter;
// its questions go to whichever ssh connects.
func (l *Login) starterCanPrompt() bool {
	t := time.NewTimer(promptGrace)
	defer t.Stop()
	select {
	case <-l.starterSeen:
		return l.canPrompt.Load()
	case <-t.C:
		return true
	}
}

// finish records the login's outcome and releases every waiter.
func (l *Login) finish(err error) {
	l.err = err
	close(l.done)
}

// Done is closed when the login has finished; Err then tells how.
func (l *Login) Done() <-chan struct{} { return l.done }

// Err is the login's outcome, valid after Done.
func (l *Login) Err() error { return l.err }

// Ask relays q to a local ssh and returns its answers. It fails with
// upstream.ErrNoPrompter when no local ssh takes the question within promptGrace,
// and with the prompter's error when the user cancels.
func (l *Login) Ask(q upstream.Question) ([]string, error) {
	if !l.starterCanPrompt() {
		return nil, upstream.ErrNoPrompter
	}
	l.askOnce.Do(func() { close(l.asking) })
	p := &pending{q: q, answer: make(chan answerMsg, 1)}
	for {
		if err := l.post(p); err != nil {
			return nil, err
		}
		a := <-p.answer
		if !errors.Is(a.err, upstream.ErrPrompterGone) && !errors.Is(a.err, errAskAgain) {
			return a.answers, a.err
		}
		if l.waiting.Load() == 0 {
			return nil, upstream.ErrPrompterGone
		}
	}
}

// errAskAgain sends a question back to be posted again: a local ssh
// answering with the password method took it to learn that its last
// password was wrong, and answers it at its next attempt.
var errAskAgain = errors.New("ask again")

// post hands p to a prompter, waiting while some local ssh may still take
// it.
func (l *Login) post(p *pending) error {
	t := time.NewTimer(promptGrace)
	defer t.Stop()
	for {
		select {
		case l.questions <- p:
			return nil
		case <-t.C:
			if l.waiting.Load() == 0 {
				return upstream.ErrNoPrompter
			}
			t.Reset(promptGrace)
		}
	}
}

// failHold is how long a starter's local authentication is held after the
// login failed, so its invocation can print why before ssh, refused, hangs
// up on it.
const failHold = 3 * time.Second

// holdFailure delays the answer to a starter after a failed login.
func (l *Login) holdFailure(starter bool) {
	if starter && l.err != nil {
		t := time.NewTimer(failHold)
		defer t.Stop()
		select {
		case <-t.C:
		case <-l.ended:
		}
	}
}

// authNone decides a local client's "none" authentication: accepted once
// the upstream is logged in; refused while the login asks questions, so the
// client falls back to keyboard-interactive and can answer them.
func (l *Login) authNone(starter bool) error {
	select {
	case <-l.done:
		l.holdFailure(starter)
		return l.err
	case <-l.asking:
		select {
		case <-l.done:
			l.holdFailure(starter)
			return l.err
		default:
			return errors.New("upstream login needs an answer")
		}
	}
}

// serveQuestions relays the login's questions to one local ssh until the
// login finishes, and accepts that ssh if the login succeeded.
func (l *Login) serveQuestions(challenge ssh.KeyboardInteractiveChallenge, starter bool) error {
	for {
		select {
		case <-l.done:
			l.holdFailure(starter)
			return l.err
		case p := <-l.questions:
			answers, err := challenge(p.q.Name, p.q.Instruction, p.q.Prompts, p.q.Echos)
			if err != nil {
				p.answer <- answerMsg{err: upstream.ErrPrompterGone}
				return err
			}
			p.answer <- answerMsg{answers: answers}
		}
	}
}

// servePassword answers the login's password question with the password
// a local ssh sent by the password method, and accepts that ssh if the
// login then succeeds. A wrong password fails this attempt, so ssh asks
// again ("Permission denied, please try again."), as for plain ssh. Any
// other question (passphrase, MFA, host key) cannot be put through the
// password method: the login is refused with a reason naming the setting.
func (l *Login) servePassword(password []byte, starter bool) error {
	p, err := l.next(starter)
	if p == nil {
		return err
	}
	if !p.q.Password {
		return l.refusePasswordOnly(p, starter)
	}
	p.answer <- answerMsg{answers: []string{string(password)}}
	clear(password) // x/crypto's packet; the string is the login's (see forgetLogin)
	if p, err = l.next(starter); p == nil {
		return err
	}
	if !p.q.Password {
		return l.refusePasswordOnly(p, starter)
	}
	p.answer <- answerMsg{err: errAskAgain}
	return errors.New("upstream refused the password")
}

// next waits for the login's next question, or for its end (then it
// returns the outcome and no question).
func (l *Login) next(starter bool) (*pending, error) {
	select {
	case <-l.done:
		l.holdFailure(starter)
		return nil, l.err
	case p := <-l.questions:
		return p, nil
	}
}

// refusePasswordOnly fails the login on a question a password-only local
// ssh cannot be asked, and returns how it ended.
func (l *Login) refusePasswordOnly(p *pending, starter bool) error {
	p.answer <- answerMsg{err: hint.With(
		fmt.Errorf("the login must ask %q, and ssh's settings for this host allow only the password method",
			strings.TrimSpace(strings.Join(p.q.Prompts, " "))),
		"allow keyboard-interactive for this host (KbdInteractiveAuthentication yes, and keyboard-interactive in PreferredAuthentications if set)")}
	<-l.done
	l.holdFailure(starter)
	return l.err
}

// serverAuth sets a local server config's authentication to wait for, and
// answer the questions of, this login; starter marks the config used for
// the invocation that started the master.
func (l *Login) serverAuth(cfg *ssh.ServerConfig, starter bool) {
	cfg.NoClientAuth = true
	cfg.NoClientAuthCallback = func(ssh.ConnMetadata) (*ssh.Permissions, error) {
		return nil, l.authNone(starter)
	}
	cfg.KeyboardInteractiveCallback = func(_ ssh.ConnMetadata, challenge ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
		return nil, l.serveQuestions(challenge, starter)
	}
	cfg.PasswordCallback = func(_ ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
		return nil, l.servePassword(password, starter)
	}
}
