package main

import (
	"fmt"
	"io"
	"os"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/localhop"
)

// KnownHostsCmd prints the lines that make ssh accept the local host keys,
// for KnownHostsCommand. ssh accepts a host key when any known entry
// matches, so the user's real known_hosts lines stay in force.
type KnownHostsCmd struct {
	Host string `arg:"" help:"Host name as ssh passes it with %H."`
}

// Run prints "HOST ecdsa-sha2-nistp256 AAAA..." and "HOST ssh-ed25519
// AAAA...", creating the keys on first use.
func (c KnownHostsCmd) Run(stdout io.Writer) error {
	home, err := os.UserHomeDir()
	if err != nil {
		return fmt.Errorf("find home directory: %w", err)
	}
	lines, err := localhop.KnownHosts(control.StateDir(home), c.Host)
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, lines)
	return err
}
