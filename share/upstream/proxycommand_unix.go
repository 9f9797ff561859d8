//go:build !windows

package upstream

import "os/exec"

// commandFor is the command ssh runs for a ProxyCommand line: `SHELL -c
// "exec LINE"`, with /bin/sh for an empty shell.
func commandFor(shell, line string) (*exec.Cmd, error) {
	if shell == "" {
		shell = "/bin/sh"
	}
	return exec.Command(shell, "-c", "exec "+line), nil
}
