//go:build darwin

package sysio

import "golang.org/x/sys/unix"

// ioctlGetTermios reads a terminal's settings (tcgetattr).
const ioctlGetTermios = unix.TIOCGETA

// What macOS has of the modes and characters not everywhere: no IUCLC,
// XCASE or OLCUC.
const (
	iuclc   = 0
	xcase   = 0
	olcuc   = 0
	vdsusp  = unix.VDSUSP
	vstatus = unix.VSTATUS
)

// vdisable is macOS's _POSIX_VDISABLE: a control character set to it is
// off.
const vdisable = 0xff

// speeds returns t's input and output baud rates: on BSD the speed fields
// hold the rates themselves.
func speeds(t *unix.Termios) (in, out uint32) {
	return uint32(t.Ispeed), uint32(t.Ospeed)
}
