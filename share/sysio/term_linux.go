//go:build linux

package sysio

import "golang.org/x/sys/unix"

// ioctlGetTermios reads a terminal's settings (tcgetattr).
const ioctlGetTermios = unix.TCGETS

// What Linux has of the modes and characters not everywhere: no VDSUSP,
// no VSTATUS.
const (
	iuclc   = unix.IUCLC
	xcase   = unix.XCASE
	olcuc   = unix.OLCUC
	vdsusp  = noChar
	vstatus = noChar
)

// vdisable is Linux's _POSIX_VDISABLE: a control character set to it is
// off.
const vdisable = 0

// linuxBauds maps Linux's speed codes (the CBAUD bits of c_cflag) to baud
// rates.
var linuxBauds = map[uint32]uint32{
	unix.B0: 0, unix.B50: 50, unix.B75: 75, unix.B110: 110, unix.B134: 134,
	unix.B150: 150, unix.B200: 200, unix.B300: 300, unix.B600: 600,
	unix.B1200: 1200, unix.B1800: 1800, unix.B2400: 2400, unix.B4800: 4800,
	unix.B9600: 9600, unix.B19200: 19200, unix.B38400: 38400,
	unix.B57600: 57600, unix.B115200: 115200, unix.B230400: 230400,
	unix.B460800: 460800, unix.B500000: 500000, unix.B576000: 576000,
	unix.B921600: 921600, unix.B1000000: 1000000, unix.B1152000: 1152000,
	unix.B1500000: 1500000, unix.B2000000: 2000000, unix.B2500000: 2500000,
	unix.B3000000: 3000000, unix.B3500000: 3500000, unix.B4000000: 4000000,
}

// speeds returns t's input and output baud rates. The output speed is the
// CBAUD bits; the input speed the CIBAUD bits, or the output speed where
// those are 0, as the kernel reads them. A code without a number (BOTHER,
// a custom speed) is reported as 9600, OpenSSH's answer to a speed it
// does not know.
func speeds(t *unix.Termios) (in, out uint32) {
	out = baud(t.Cflag & (unix.CBAUD | unix.CBAUDEX))
	in = out
	if code := (t.Cflag & unix.CIBAUD) >> unix.IBSHIFT; code != 0 {
		in = baud(code)
	}
	return in, out
}

// baud maps a speed code to its baud rate.
func baud(code uint32) uint32 {
	if b, ok := linuxBauds[code]; ok {
		return b
	}
	return 9600
}
