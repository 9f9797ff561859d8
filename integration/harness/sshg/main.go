// Command sshg stands in for ssh.exe in the Wine prefix of make
// test-windows. A Windows program under Wine cannot run the Linux ssh and
// read its output, and the prefix has no Win32-OpenSSH, yet a master runs
// `ssh -G ... HOST` to learn how to log in. sshg answers `ssh -G` with
// the file named HOST in the directory SSHSHARE_WINE_SSHG names, which
// the smoke test writes from the Linux ssh's own answers for the same
// hosts (integration/wine_test.go). It refuses everything else as ssh
// refuses bad usage: a line on stderr and exit status 255.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

func main() {
	args := os.Args[1:]
	if !slices.Contains(args, "-G") || len(args) < 2 {
		fail(fmt.Errorf("only ssh -G ... HOST is answered here, not %q", args))
	}
	host := args[len(args)-1]
	if host == "" || strings.ContainsAny(host, `/\:`) || strings.HasPrefix(host, ".") {
		fail(fmt.Errorf("no answer for host %q", host))
	}
	answer, err := os.ReadFile(filepath.Join(os.Getenv("SSHSHARE_WINE_SSHG"), host))
	if err != nil {
		fail(fmt.Errorf("no answer recorded for ssh -G %s: %w", host, err))
	}
	if _, err := os.Stdout.Write(answer); err != nil {
		fail(err)
	}
}

// fail prints err as ssh would and exits 255.
func fail(err error) {
	fmt.Fprintf(os.Stderr, "ssh (the test stand-in, integration/harness/sshg): %v\n", err)
	os.Exit(255)
}
