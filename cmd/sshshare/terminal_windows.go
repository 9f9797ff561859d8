package main

import (
	"fmt"
	"os"
)

// openTerminal opens the console, as Win32-OpenSSH reads a password from
// it: CONIN$ for the answers, CONOUT$ for the questions. A process with
// no console (VS Code's, say) has none, and askpass is the way.
func openTerminal() (terminal, error) {
	in, err := os.OpenFile("CONIN$", os.O_RDWR, 0)
	if err != nil {
		return terminal{}, fmt.Errorf("open the console: %w", err)
	}
	out, err := os.OpenFile("CONOUT$", os.O_RDWR, 0)
	if err != nil {
		in.Close()
		return terminal{}, fmt.Errorf("open the console: %w", err)
	}
	return terminal{in: in, out: out}, nil
}
