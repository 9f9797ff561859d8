package invoke

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/sshshare/sshshare/share/upstream"
	"golang.org/x/crypto/ssh"
)

// startClient logs in to a master over conn as a local SSH client, answering
// the master's login questions with ask, then disconnects. It is how
// `sshshare start` waits for a master to be ready and prompts on its own
// terminal. hostKey checks that the master presents a local host key.
func startClient(ctx context.Context, conn net.Conn, hostKey ssh.HostKeyCallback, user string, ask func(upstream.Question) ([]string, error)) error {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	cfg := &ssh.ClientConfig{
		User:            user,
		HostKeyCallback: hostKey,
		ClientVersion:   "SSH-2.0-sshshare-start",
		Auth: []ssh.AuthMethod{ssh.KeyboardInteractive(func(name, instruction string, questions []string, echos []bool) ([]string, error) {
			return ask(upstream.Question{Name: name, Instruction: instruction, Prompts: questions, Echos: echos})
		})},
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, "master", cfg)
	if err != nil {
		return fmt.Errorf("log in through master: %w", err)
	}
	go ssh.DiscardRequests(reqs)
	go func() {
		for nch := range chans {
			nch.Reject(ssh.Prohibited, "start client takes no channels")
		}
	}()
	return c.Close()
}

// ErrNoTerminal means a prompt was needed and there is no way to ask.
var ErrNoTerminal = errors.New("no terminal and no SSH_ASKPASS to ask on")
