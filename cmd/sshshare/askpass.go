package main

import (
	"io"
	"os"

	"github.com/sshshare/sshshare/share/upstream"
)

// AskpassCmd is the askpass of the OpenSSH engine's ssh (see
// upstream/askpass.go): the master writes a script that runs it, and ssh
// runs that with its question. Hidden: only the master sets it up.
type AskpassCmd struct {
	Socket string `arg:"" help:"The master's askpass relay socket."`
	Prompt string `arg:"" optional:"" help:"ssh's question."`
}

// Run relays the question and prints the answer for ssh. A question not
// answered exits non-zero, which ssh takes as cancelled.
func (c AskpassCmd) Run(stdout io.Writer) error {
	return upstream.Askpass(c.Socket, c.Prompt, os.Getenv("SSH_ASKPASS_PROMPT"), stdout)
}
