//go:build unix

package sysio

import "golang.org/x/sys/unix"

// IsTerminal reports whether fd is a terminal.
func IsTerminal(fd uintptr) bool { return isTerminal(int(fd)) }

// TerminalModes encodes fd's terminal settings for a pty-req (stub: none).
func TerminalModes(fd uintptr) ([]byte, error) { return []byte{0}, nil }

// WindowSize returns fd's window size.
func WindowSize(fd uintptr) (cols, rows, width, height uint32, err error) {
	ws, err := unix.IoctlGetWinsize(int(fd), unix.TIOCGWINSZ)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	return uint32(ws.Col), uint32(ws.Row), uint32(ws.Xpixel), uint32(ws.Ypixel), nil
}
