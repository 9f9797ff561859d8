package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/sshshare/sshshare/share/invoke"
	"github.com/sshshare/sshshare/share/upstream"
	"github.com/sshshare/sshshare/share/vis"
	"golang.org/x/term"
)

// promptRoute tells how ssh, run in this process's environment, would
// ask its user a question (see invoke.PromptEnv).
func promptRoute() string {
	tty, err := openTerminal()
	if err == nil {
		tty.Close()
	}
	return invoke.PromptEnv{
		Askpass:        os.Getenv("SSH_ASKPASS") != "",
		AskpassRequire: os.Getenv("SSH_ASKPASS_REQUIRE"),
		Display:        os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != "",
		TTY:            err == nil,
	}.Route()
}

// canPrompt reports whether the user can be asked anything (see
// promptRoute).
func canPrompt() bool { return promptRoute() != invoke.PromptNone }

// terminalPrompt asks a login question the way ssh does (see
// promptRoute): through SSH_ASKPASS or on the controlling terminal,
// input not echoed unless the server asks for echo.
func terminalPrompt(q upstream.Question) ([]string, error) {
	switch promptRoute() {
	case invoke.PromptAskpass:
		return askpassPrompt(q)
	case invoke.PromptTTY:
		tty, err := openTerminal()
		if err != nil {
			return nil, fmt.Errorf("open terminal: %w", err)
		}
		defer tty.Close()
		return ttyPrompt(tty, q)
	}
	return nil, invoke.ErrNoTerminal
}

// terminal is where ssh itself would ask the user: /dev/tty on Unix, the
// console (CONIN$ and CONOUT$) on Windows (see openTerminal).
type terminal struct {
	in, out *os.File // the same file where the terminal is one
}

// Close closes the terminal's files.
func (t terminal) Close() error {
	if t.out != t.in {
		t.out.Close()
	}
	return t.in.Close()
}

// ttyPrompt asks q's prompts on tty. A bastion wrote them: they are
// escaped (see package vis), keeping their tabs and newlines.
func ttyPrompt(tty terminal, q upstream.Question) ([]string, error) {
	for _, text := range []string{q.Name, q.Instruction} {
		if text != "" {
			fmt.Fprintln(tty.out, vis.Text(text))
		}
	}
	answers := make([]string, len(q.Prompts))
	reader := bufio.NewReader(tty.in)
	for i, prompt := range q.Prompts {
		fmt.Fprint(tty.out, vis.Text(prompt))
		if len(q.Echos) > i && q.Echos[i] {
			line, err := reader.ReadString('\n')
			if err != nil {
				return nil, fmt.Errorf("read answer: %w", err)
			}
			answers[i] = strings.TrimRight(line, "\r\n")
			continue
		}
		secret, err := term.ReadPassword(int(tty.in.Fd()))
		fmt.Fprintln(tty.out)
		if err != nil {
			return nil, fmt.Errorf("read password: %w", err)
		}
		answers[i] = string(secret)
		clear(secret)
	}
	return answers, nil
}

// askpassPrompt runs SSH_ASKPASS once per prompt, as ssh does, with the
// bastion's text escaped (it may show it on a terminal).
func askpassPrompt(q upstream.Question) ([]string, error) {
	askpass := os.Getenv("SSH_ASKPASS")
	if askpass == "" {
		return nil, invoke.ErrNoTerminal
	}
	answers := make([]string, len(q.Prompts))
	for i, prompt := range q.Prompts {
		text := vis.Text(strings.TrimSpace(strings.Join([]string{q.Instruction, prompt}, "\n")))
		out, err := exec.Command(askpass, text).Output()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", askpass, err)
		}
		answers[i] = string(bytes.TrimRight(out, "\r\n"))
	}
	return answers, nil
}
