package share

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/sshtest"
	"github.com/sshshare/sshshare/share/upstream"
	"golang.org/x/crypto/ssh"
)

func TestLoginAuthNoneWaitsForFinish(t *testing.T) {
	loginFailed := errors.New("permission denied")
	tests := []struct {
		name string
		err  error
	}{
		{"success", nil},
		{"failure", loginFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLogin()
			got := make(chan error, 1)
			go func() { got <- l.authNone(false) }()
			select {
			case err := <-got:
				t.Fatalf("authNone returned %v before the login finished", err)
			case <-time.After(50 * time.Millisecond):
			}
			l.finish(tt.err)
			if err := sshtest.RecvWithin(t, got, 5*time.Second, "authNone"); !errors.Is(err, tt.err) {
				t.Errorf("got %v; want %v", err, tt.err)
			}
			if !errors.Is(l.Err(), tt.err) {
				t.Errorf("Err: got %v; want %v", l.Err(), tt.err)
			}
			select {
			case <-l.Done():
			default:
				t.Error("Done not closed after Finish")
			}
		})
	}
}

// TestLoginAuthNoneRefusedWhileAsking: once the login asks a question, a
// local client's "none" is refused so that it falls back to
// keyboard-interactive and can answer.
func TestLoginAuthNoneRefusedWhileAsking(t *testing.T) {
	l := newLogin()
	l.waiting.Add(1) // a local ssh is connecting: Ask keeps waiting
	asked := make(chan error, 1)
	go func() {
		_, err := l.Ask(upstream.Question{Prompts: []string{"Password: "}})
		asked <- err
	}()
	sshtest.WaitFor(t, "the first question", func() bool {
		select {
		case <-l.asking:
			return true
		default:
			return false
		}
	})
	if err := l.authNone(false); err == nil {
		t.Error("authNone while asking: got nil; want an error")
	}
	l.finish(nil)
	if err := l.authNone(false); err != nil {
		t.Errorf("authNone after Finish: got %v; want nil", err)
	}
	// Let the pending Ask go, answering as a prompter would.
	p := sshtest.RecvWithin(t, l.questions, 5*time.Second, "the pending question")
	p.answer <- answerMsg{answers: []string{"pw"}}
	if err := sshtest.RecvWithin(t, asked, 5*time.Second, "Ask"); err != nil {
		t.Errorf("Ask: got %v; want nil", err)
	}
}

func TestLoginAskNoPrompter(t *testing.T) {
	t.Parallel()
	l := newLogin()
	start := time.Now()
	_, err := l.Ask(upstream.Question{Prompts: []string{"Password: "}})
	if !errors.Is(err, upstream.ErrNoPrompter) {
		t.Fatalf("got %v; want ErrNoPrompter", err)
	}
	if d := time.Since(start); d < promptGrace {
		t.Errorf("failed after %v; want at least promptGrace (%v)", d, promptGrace)
	}
}

func TestLoginAskRelayed(t *testing.T) {
	l := newLogin()
	q := upstream.Question{Name: "MFA", Instruction: "Enter your code", Prompts: []string{"Password: ", "Code: "}, Echos: []bool{false, true}}
	var seen upstream.Question
	challenge := func(name, instruction string, questions []string, echos []bool) ([]string, error) {
		seen = upstream.Question{Name: name, Instruction: instruction, Prompts: questions, Echos: echos}
		return []string{"hunter2", "123456"}, nil
	}
	served := make(chan error, 1)
	go func() { served <- l.serveQuestions(challenge, false) }()

	answers, err := l.Ask(q)
	if err != nil {
		t.Fatalf("Ask: %v", err)
	}
	if want := []string{"hunter2", "123456"}; !reflect.DeepEqual(answers, want) {
		t.Errorf("answers: got %q; want %q", answers, want)
	}
	if !reflect.DeepEqual(seen, q) {
		t.Errorf("challenge saw %+v; want %+v", seen, q)
	}
	l.finish(nil)
	if err := sshtest.RecvWithin(t, served, 5*time.Second, "serveQuestions"); err != nil {
		t.Errorf("serveQuestions after a successful login: got %v; want nil", err)
	}
}

func TestLoginServeQuestionsReturnsLoginError(t *testing.T) {
	l := newLogin()
	failed := errors.New("too many authentication failures")
	l.finish(failed)
	err := l.serveQuestions(func(string, string, []string, []bool) ([]string, error) {
		t.Error("challenge called with no question")
		return nil, nil
	}, false)
	if !errors.Is(err, failed) {
		t.Errorf("got %v; want %v", err, failed)
	}
}

// TestLoginPrompterGone: a local ssh that fails to answer (its user pressed
// ^C, or it is in BatchMode) ends its own serveQuestions with its error; the
// login sees upstream.ErrPrompterGone when no other ssh is waiting, and asks the
// next one when there is.
func TestLoginPrompterGone(t *testing.T) {
	refused := errors.New("ssh: client refused")
	failing := func(string, string, []string, []bool) ([]string, error) { return nil, refused }

	t.Run("nobody else waiting", func(t *testing.T) {
		l := newLogin()
		served := make(chan error, 1)
		go func() { served <- l.serveQuestions(failing, false) }()
		_, err := l.Ask(upstream.Question{Prompts: []string{"Password: "}})
		if !errors.Is(err, upstream.ErrPrompterGone) {
			t.Errorf("Ask: got %v; want upstream.ErrPrompterGone", err)
		}
		if err := sshtest.RecvWithin(t, served, 5*time.Second, "serveQuestions"); !errors.Is(err, refused) {
			t.Errorf("serveQuestions: got %v; want the challenge's error", err)
		}
	})

	t.Run("another ssh waiting", func(t *testing.T) {
		l := newLogin()
		l.waiting.Add(1)
		first := make(chan error, 1)
		go func() { first <- l.serveQuestions(failing, false) }()
		type result struct {
			answers []string
			err     error
		}
		asked := make(chan result, 1)
		go func() {
			a, err := l.Ask(upstream.Question{Prompts: []string{"Password: "}})
			asked <- result{a, err}
		}()
		if err := sshtest.RecvWithin(t, first, 5*time.Second, "first serveQuestions"); !errors.Is(err, refused) {
			t.Fatalf("first serveQuestions: got %v; want the challenge's error", err)
		}
		second := make(chan error, 1)
		go func() {
			second <- l.serveQuestions(func(string, string, []string, []bool) ([]string, error) {
				return []string{"pw"}, nil
			}, false)
		}()
		r := sshtest.RecvWithin(t, asked, 5*time.Second, "Ask")
		if r.err != nil || !reflect.DeepEqual(r.answers, []string{"pw"}) {
			t.Errorf("Ask: got %q, %v; want [pw], nil", r.answers, r.err)
		}
		l.waiting.Add(-1)
		l.finish(nil)
		if err := sshtest.RecvWithin(t, second, 5*time.Second, "second serveQuestions"); err != nil {
			t.Errorf("second serveQuestions: got %v; want nil", err)
		}
	})
}

func TestLoginServerAuth(t *testing.T) {
	l := newLogin()
	var cfg ssh.ServerConfig
	l.serverAuth(&cfg, false)
	if !cfg.NoClientAuth || cfg.NoClientAuthCallback == nil || cfg.KeyboardInteractiveCallback == nil {
		t.Fatalf("got NoClientAuth %v, callbacks %v %v; want all set",
			cfg.NoClientAuth, cfg.NoClientAuthCallback != nil, cfg.KeyboardInteractiveCallback != nil)
	}
	l.finish(nil)
	if _, err := cfg.NoClientAuthCallback(nil); err != nil {
		t.Errorf("none after a successful login: got %v; want nil", err)
	}
}

// TestLoginServePassword: a local ssh that may use only the password
// method answers the login's password question with it; a wrong password
// fails that attempt and the question waits for the next one; any other
// question refuses the login, naming the setting.
func TestLoginServePassword(t *testing.T) {
	pwQuestion := upstream.Question{Prompts: []string{"u@h's password: "}, Echos: []bool{false}, Password: true}
	type result struct {
		answers []string
		err     error
	}
	ask := func(l *Login, q upstream.Question) <-chan result {
		out := make(chan result, 1)
		go func() {
			a, err := l.Ask(q)
			out <- result{a, err}
		}()
		return out
	}

	t.Run("right password", func(t *testing.T) {
		l := newLogin()
		l.waiting.Add(1)
		asked := ask(l, pwQuestion)
		served := make(chan error, 1)
		go func() { served <- l.servePassword([]byte("secret"), false) }()
		r := sshtest.RecvWithin(t, asked, 5*time.Second, "Ask")
		if r.err != nil || !reflect.DeepEqual(r.answers, []string{"secret"}) {
			t.Errorf("Ask: got %q, %v; want [secret], nil", r.answers, r.err)
		}
		l.finish(nil)
		if err := sshtest.RecvWithin(t, served, 5*time.Second, "servePassword"); err != nil {
			t.Errorf("servePassword after a successful login: got %v; want nil", err)
		}
	})

	t.Run("wrong then right", func(t *testing.T) {
		l := newLogin()
		l.waiting.Add(1)
		first := ask(l, pwQuestion)
		served := make(chan error, 1)
		go func() { served <- l.servePassword([]byte("wrong"), false) }()
		if r := sshtest.RecvWithin(t, first, 5*time.Second, "first Ask"); r.err != nil || r.answers[0] != "wrong" {
			t.Fatalf("first Ask: got %q, %v; want [wrong]", r.answers, r.err)
		}
		second := ask(l, pwQuestion) // the upstream asks again
		if err := sshtest.RecvWithin(t, served, 5*time.Second, "first servePassword"); err == nil {
			t.Fatalf("first servePassword after a second question: got nil; want a failed attempt")
		}
		go func() { served <- l.servePassword([]byte("right"), false) }()
		if r := sshtest.RecvWithin(t, second, 5*time.Second, "second Ask"); r.err != nil || r.answers[0] != "right" {
			t.Errorf("second Ask: got %q, %v; want [right]", r.answers, r.err)
		}
		l.finish(nil)
		if err := sshtest.RecvWithin(t, served, 5*time.Second, "second servePassword"); err != nil {
			t.Errorf("second servePassword: got %v; want nil", err)
		}
	})

	t.Run("passphrase refused", func(t *testing.T) {
		l := newLogin()
		l.waiting.Add(1)
		asked := ask(l, upstream.Question{Prompts: []string{"Enter passphrase for key '/k': "}, Echos: []bool{false}})
		served := make(chan error, 1)
		go func() { served <- l.servePassword([]byte("secret"), false) }()
		r := sshtest.RecvWithin(t, asked, 5*time.Second, "Ask")
		if r.err == nil || !strings.Contains(r.err.Error(), "only the password method") || hint.Of(r.err) == "" {
			t.Fatalf("Ask: got %q, %v; want a refusal naming the setting, with a hint", r.answers, r.err)
		}
		l.finish(r.err)
		if err := sshtest.RecvWithin(t, served, 5*time.Second, "servePassword"); err == nil {
			t.Errorf("servePassword after a refused login: got nil; want the login's error")
		}
	})
}
