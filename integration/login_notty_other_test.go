//go:build !unix

package integration

import "os/exec"

// loginNoTTY gives cmd stdin from the null device. There are no sessions
// to leave here; the suite runs its sshd on Unix only, and on other
// systems it only has to compile (GOOS=windows go vet).
func loginNoTTY(cmd *exec.Cmd) *exec.Cmd {
	cmd.Stdin = nil
	return cmd
}
