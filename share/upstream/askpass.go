package upstream

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sshshare/sshshare/share/sysio"
)

// The engine ssh asks its questions with an askpass program (OpenSSH's
// SSH_ASKPASS, forced with SSH_ASKPASS_REQUIRE=force): a script in the
// engine's private directory that runs `sshshare askpass SOCKET -- PROMPT`.
// That process connects to the master's relay socket beside it, sends the
// prompt, and prints the answer on its stdout for ssh; the master asks the
// question through its Prompter, as the Go engine's own questions, so it
// reaches the user through the waiting local ssh. Answers cross only the
// private socket and the askpass's stdout pipe to ssh; nothing logs them.
// The wire is one JSON line each way, between this binary and itself.

// askpassRequest is what the askpass sends: ssh's prompt, and
// SSH_ASKPASS_PROMPT ("confirm" for a yes/no question, "none" for a
// notice that takes no answer).
type askpassRequest struct {
	Prompt string `json:"prompt"`
	Hint   string `json:"hint,omitempty"`
}

// askpassReply is the master's answer, or why there is none.
type askpassReply struct {
	Answer  string `json:"answer,omitempty"`
	Refused string `json:"refused,omitempty"`
}

// maxAskpassRequest bounds a request's size.
const maxAskpassRequest = 64 << 10

// askpassReadWait bounds the read of a request.
const askpassReadWait = 10 * time.Second

// askpassRelay is the master's side: one listener per engine ssh.
type askpassRelay struct {
	ln     net.Listener
	script string
	ask    Prompter
	log    *slog.Logger
	// preface, if set, gives the lines ssh printed since the last question
	// (a keyboard-interactive round's name and instruction, a banner):
	// they go before the question, as the Go engine relays them.
	preface func() []string
	// refused, if set, is told when a question could not be answered,
	// before the askpass is: ssh would send an empty answer (a failed
	// password attempt), so the login must end there, as the Go engine's
	// does.
	refused func(error)
	mu      sync.Mutex // one question at a time, as ssh asks them
}

// startAskpass starts the relay in dir (private) and writes the askpass
// script that runs self.
func startAskpass(dir, self string, p Prompter, log *slog.Logger) (*askpassRelay, error) {
	sock := filepath.Join(dir, "a")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return nil, fmt.Errorf("askpass relay: %w", err)
	}
	r := &askpassRelay{ln: ln, script: filepath.Join(dir, "askpass"), ask: p, log: log}
	body := fmt.Sprintf("#!/bin/sh\nexec %s askpass %s -- \"$@\"\n", shellWord(self), shellWord(sock))
	if err := os.WriteFile(r.script, []byte(body), 0o700); err != nil {
		ln.Close()
		return nil, fmt.Errorf("askpass relay: %w", err)
	}
	go r.serve()
	return r, nil
}

// shellWord quotes s as one word for a POSIX shell.
func shellWord(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// close stops the relay; a nil relay is fine.
func (r *askpassRelay) close() {
	if r != nil {
		r.ln.Close()
	}
}

// serve answers askpass connections until the listener closes.
func (r *askpassRelay) serve() {
	for {
		conn, err := r.ln.Accept()
		if err != nil {
			return
		}
		go r.answer(conn)
	}
}

// answer relays one question. Only this user's processes may ask (the
// directory is private too).
func (r *askpassRelay) answer(conn net.Conn) {
	defer conn.Close()
	if err := sysio.CheckPeer(conn); err != nil {
		r.log.Warn("askpass relay: peer refused", "err", err)
		return
	}
	conn.SetReadDeadline(time.Now().Add(askpassReadWait))
	var req askpassRequest
	if err := json.NewDecoder(io.LimitReader(conn, maxAskpassRequest)).Decode(&req); err != nil {
		r.log.Warn("askpass relay: bad request", "err", err)
		return
	}
	conn.SetReadDeadline(time.Time{})
	reply := r.relay(req)
	json.NewEncoder(conn).Encode(reply)
}

// relay asks req's question through the prompter.
func (r *askpassRelay) relay(req askpassRequest) askpassReply {
	if req.Hint == "none" {
		r.log.Info("engine ssh notice", "text", req.Prompt)
		return askpassReply{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var preface []string
	if r.preface != nil {
		preface = r.preface()
	}
	q := askpassQuestion(req, preface)
	r.log.Info("engine ssh asks", "prompt", q.Prompts[0], "password", q.Password)
	answers, err := r.ask.Ask(q)
	if err != nil {
		r.log.Info("engine ssh question not answered", "err", err)
		if r.refused != nil {
			r.refused(err)
		}
		return askpassReply{Refused: err.Error()}
	}
	if len(answers) != 1 {
		return askpassReply{Refused: "no answer"}
	}
	return askpassReply{Answer: answers[0]}
}

// askpassQuestion is ssh's prompt as a question, after the lines ssh
// printed before it (preface): the prompt's last line is the prompt, the
// lines before it the instruction. Three kinds of prompt come:
//
//   - a server's keyboard-interactive prompt, which ssh shows as
//     "(user@host) prompt": relayed as the server sent it (the local ssh
//     adds its own "(user@host)"), marked where it imitates the master;
//   - ssh's "user@host's password: ", the password method's question;
//   - ssh's own questions (passphrase, PIN, host key): the master's own
//     for the user, so they start with LocalPrefix, as the Go engine's.
//
// A yes/no question is echoed.
func askpassQuestion(req askpassRequest, preface []string) Question {
	text := strings.TrimRight(req.Prompt, "\n")
	password := !strings.Contains(text, "\n") && strings.HasSuffix(text, "'s password: ")
	if password {
		preface = nil // the password method's question, as ssh asks it
	}
	lines := append(slices.Clone(preface), strings.Split(text, "\n")...)
	prompt := lines[len(lines)-1]
	instruction := strings.Join(lines[:len(lines)-1], "\n")
	echo := req.Hint == "confirm" || strings.Contains(prompt, "(yes/no")
	if server, ok := serverPrompt(prompt); ok {
		prompt = serverText(server)
	} else if !password {
		prompt = local(prompt)
	}
	return Question{Instruction: serverText(instruction), Prompts: []string{prompt}, Echos: []bool{echo}, Password: password}
}

// serverPrompt is a server's keyboard-interactive prompt without the
// "(user@host) " ssh puts before it, and whether prompt was one.
func serverPrompt(prompt string) (string, bool) {
	if !strings.HasPrefix(prompt, "(") {
		return "", false
	}
	who, rest, ok := strings.Cut(prompt[1:], ") ")
	if !ok || !strings.Contains(who, "@") || strings.ContainsAny(who, " \t") {
		return "", false
	}
	return rest, true
}

// ErrAskpassRefused is an askpass question the master could not get
// answered: ssh takes it as cancelled.
var ErrAskpassRefused = errors.New("askpass: not answered")

// Askpass is the askpass program's side: it asks the relay at socket
// prompt's question and writes the answer, with a newline, to out.
func Askpass(socket, prompt, hint string, out io.Writer) error {
	conn, err := net.DialTimeout("unix", socket, askpassReadWait)
	if err != nil {
		return fmt.Errorf("askpass relay: %w", err)
	}
	defer conn.Close()
	if err := json.NewEncoder(conn).Encode(askpassRequest{Prompt: prompt, Hint: hint}); err != nil {
		return fmt.Errorf("askpass relay: %w", err)
	}
	var reply askpassReply
	if err := json.NewDecoder(bufio.NewReader(conn)).Decode(&reply); err != nil {
		return fmt.Errorf("askpass relay: %w", err)
	}
	if reply.Refused != "" {
		return fmt.Errorf("%w: %s", ErrAskpassRefused, reply.Refused)
	}
	if hint == "none" {
		return nil
	}
	_, err = fmt.Fprintln(out, reply.Answer)
	return err
}
