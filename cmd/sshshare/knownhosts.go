package main

import (
	"fmt"
	"io"
	"os"

	"github.com/sshshare/sshshare/share"
)

// KnownHostsCmd prints the line that makes ssh accept the local host key,
// for KnownHostsCommand. ssh accepts a host key when any known entry
// matches, so the user's real known_hosts lines stay in force.
type KnownHostsCmd struct {
	Host string `arg:"" help:"Host name as ssh passes it with %H."`
}

// Run prints "HOST ssh-ed25519 AAAA...", creating the key on first use.
func (c KnownHostsCmd) Run(stdout io.Writer) error {
	home, err := os.UserHomeDir()
	if err != nil {
		return fmt.Errorf("find home directory: %w", err)
	}
	signer, err := share.HostKey(share.StateDir(home))
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, share.KnownHostsLine(c.Host, signer))
	return err
}
