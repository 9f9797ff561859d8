//go:build !unix

package sysio

import "errors"

var errNoTerminal = errors.New("not a terminal")

// IsTerminal reports whether fd is a terminal.
func IsTerminal(uintptr) bool { return false }

// TerminalModes is not supported here.
func TerminalModes(uintptr) ([]byte, error) { return nil, errNoTerminal }

// WindowSize is not supported here.
func WindowSize(uintptr) (cols, rows, width, height uint32, err error) {
	return 0, 0, 0, 0, errNoTerminal
}
