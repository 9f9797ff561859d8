//go:build !linux && !darwin

package sysio

import "errors"

// errNoTerminal: terminals are not queried on this system, so a mux
// session here gets no pty modes or size from its client.
var errNoTerminal = errors.New("terminal queries are not supported on this platform")

// IsTerminal reports false: terminals are not queried here.
func IsTerminal(uintptr) bool { return false }

// TerminalModes is not implemented here.
func TerminalModes(uintptr) ([]byte, error) { return nil, errNoTerminal }

// WindowSize is not implemented here.
func WindowSize(uintptr) (cols, rows, width, height uint32, err error) {
	return 0, 0, 0, 0, errNoTerminal
}
