//go:build !windows

package main

import "os"

// openTerminal opens the controlling terminal, where ssh asks.
func openTerminal() (terminal, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return terminal{}, err
	}
	return terminal{in: tty, out: tty}, nil
}
