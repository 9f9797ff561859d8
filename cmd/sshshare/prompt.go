package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"golang.org/x/term"

	"github.com/sshshare/sshshare/share"
)

// terminalPrompt asks a login question the way ssh does: on the
// controlling terminal, input not echoed unless the server asks for echo;
// or through SSH_ASKPASS when there is no terminal or
// SSH_ASKPASS_REQUIRE=force.
func terminalPrompt(q share.Question) ([]string, error) {
	if useAskpass() {
		return askpassPrompt(q)
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		if os.Getenv("SSH_ASKPASS") != "" && os.Getenv("SSH_ASKPASS_REQUIRE") != "never" {
			return askpassPrompt(q)
		}
		return nil, share.ErrNoTerminal
	}
	defer tty.Close()
	return ttyPrompt(tty, q)
}

// canTerminalPrompt reports whether terminalPrompt could ask anything.
func canTerminalPrompt() bool {
	if useAskpass() {
		return true
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0); err == nil {
		tty.Close()
		return true
	}
	return os.Getenv("SSH_ASKPASS") != "" && os.Getenv("SSH_ASKPASS_REQUIRE") != "never"
}

// useAskpass reports whether SSH_ASKPASS must be used even with a terminal.
func useAskpass() bool {
	return os.Getenv("SSH_ASKPASS") != "" && os.Getenv("SSH_ASKPASS_REQUIRE") == "force"
}

// ttyPrompt asks q's prompts on tty.
func ttyPrompt(tty *os.File, q share.Question) ([]string, error) {
	for _, text := range []string{q.Name, q.Instruction} {
		if text != "" {
			fmt.Fprintln(tty, text)
		}
	}
	answers := make([]string, len(q.Prompts))
	reader := bufio.NewReader(tty)
	for i, prompt := range q.Prompts {
		fmt.Fprint(tty, prompt)
		if len(q.Echos) > i && q.Echos[i] {
			line, err := reader.ReadString('\n')
			if err != nil {
				return nil, fmt.Errorf("read answer: %w", err)
			}
			answers[i] = strings.TrimRight(line, "\r\n")
			continue
		}
		secret, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(tty)
		if err != nil {
			return nil, fmt.Errorf("read password: %w", err)
		}
		answers[i] = string(secret)
		clear(secret)
	}
	return answers, nil
}

// askpassPrompt runs SSH_ASKPASS once per prompt, as ssh does.
func askpassPrompt(q share.Question) ([]string, error) {
	askpass := os.Getenv("SSH_ASKPASS")
	if askpass == "" {
		return nil, share.ErrNoTerminal
	}
	answers := make([]string, len(q.Prompts))
	for i, prompt := range q.Prompts {
		text := strings.TrimSpace(strings.Join([]string{q.Instruction, prompt}, "\n"))
		out, err := exec.Command(askpass, text).Output()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", askpass, err)
		}
		answers[i] = string(bytes.TrimRight(out, "\r\n"))
	}
	return answers, nil
}
