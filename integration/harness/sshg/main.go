// Command sshg stands in for ssh.exe in the Wine prefix of make
// test-windows. A Windows program under Wine cannot run the Linux ssh and
// read its output, and the prefix has no Win32-OpenSSH, yet a master runs
// `ssh -G` to learn how to log in. sshg answers `ssh -G` with the file
// that SSHSHARE_WINE_SSHG names, which the smoke test writes from the
// Linux ssh's own answer for the same host (integration/wine_test.go). It
// refuses everything else as ssh refuses bad usage: a line on stderr and
// exit status 255.
package main

import (
	"fmt"
	"os"
	"slices"
)

func main() {
	if !slices.Contains(os.Args[1:], "-G") {
		fail(fmt.Errorf("only -G is answered here, not %q", os.Args[1:]))
	}
	answer, err := os.ReadFile(os.Getenv("SSHSHARE_WINE_SSHG"))
	if err != nil {
		fail(fmt.Errorf("read the answer to ssh -G (SSHSHARE_WINE_SSHG): %w", err))
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
