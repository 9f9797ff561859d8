package upstream

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/sshshare/sshshare/share/sysio"
)

// commandFor is the command Win32-OpenSSH runs for a ProxyCommand line:
// no shell (shell is ignored); a leading "exec " dropped; the line handed
// to CreateProcess as it stands, so the program parses its own arguments;
// and a program named without a path looked for in ssh.exe's directory,
// as Win32-OpenSSH does, then on PATH.
func commandFor(_, line string) (*exec.Cmd, error) {
	line = strings.TrimPrefix(strings.TrimLeft(line, " \t"), "exec ")
	program := firstWord(line)
	if program == "" {
		return nil, errors.New("no program to run")
	}
	path, err := findProgram(program)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path)
	cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: line}
	return sysio.NoWindow(cmd), nil
}

// firstWord is the program a Windows command line names: up to the
// closing quote when it starts with one, else up to white space.
func firstWord(line string) string {
	line = strings.TrimLeft(line, " \t")
	if rest, ok := strings.CutPrefix(line, `"`); ok {
		word, _, _ := strings.Cut(rest, `"`)
		return word
	}
	word, _, _ := strings.Cut(line, " ")
	word, _, _ = strings.Cut(word, "\t")
	return word
}

// findProgram is where a ProxyCommand's program is: as named when the
// name has a directory in it, else beside ssh.exe, else on PATH.
func findProgram(program string) (string, error) {
	if filepath.IsAbs(program) || strings.ContainsAny(program, `\/`) {
		return program, nil
	}
	if ssh, err := exec.LookPath("ssh"); err == nil {
		if p, err := exec.LookPath(filepath.Join(filepath.Dir(ssh), program)); err == nil {
			return p, nil
		}
	}
	return exec.LookPath(program)
}
