//go:build linux || darwin

package sysio

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// Terminal queries. A mux client (stock ssh with ControlPath) hands the
// master its stdin, the user's terminal, and the master asks the remote
// for a pty shaped like it: the modes go into the pty-req's "encoded
// terminal modes" (RFC 4254 section 8), the size into its dimensions, as
// OpenSSH's own master does with tcgetattr and TIOCGWINSZ on the passed
// descriptor. The master only reads the terminal's settings; raw mode is
// the client's business.

// Opcodes of the encoded terminal modes (RFC 4254 section 8, RFC 8160).
const (
	ttyOpEnd    = 0   // TTY_OP_END: ends the string
	ttyOpISpeed = 128 // TTY_OP_ISPEED: input baud rate
	ttyOpOSpeed = 129 // TTY_OP_OSPEED: output baud rate
)

// IsTerminal reports whether fd is a terminal.
func IsTerminal(fd uintptr) bool {
	_, err := unix.IoctlGetTermios(int(fd), ioctlGetTermios)
	return err == nil
}

// TerminalModes encodes fd's terminal settings as the "encoded terminal
// modes" string of an SSH pty-req (RFC 4254 section 8), as OpenSSH's
// ssh_tty_make_modes does: the output and input speeds, every control
// character and mode flag this system has, then TTY_OP_END. Each value is
// a big-endian uint32 after its one-byte opcode.
func TerminalModes(fd uintptr) ([]byte, error) {
	t, err := unix.IoctlGetTermios(int(fd), ioctlGetTermios)
	if err != nil {
		return nil, fmt.Errorf("read terminal modes: %w", err)
	}
	return encodeModes(t), nil
}

// WindowSize returns fd's window size: columns, rows, and pixel width and
// height (TIOCGWINSZ).
func WindowSize(fd uintptr) (cols, rows, width, height uint32, err error) {
	ws, err := unix.IoctlGetWinsize(int(fd), unix.TIOCGWINSZ)
	if err != nil {
		return 0, 0, 0, 0, fmt.Errorf("read window size: %w", err)
	}
	return uint32(ws.Col), uint32(ws.Row), uint32(ws.Xpixel), uint32(ws.Ypixel), nil
}

// noChar marks a control character this system does not have.
const noChar = -1

// controlChars are the control characters sent, in OpenSSH's order
// (ttymodes.h): the RFC 4254 opcode and the index into c_cc.
var controlChars = []struct {
	op    byte
	index int
}{
	{1, unix.VINTR},
	{2, unix.VQUIT},
	{3, unix.VERASE},
	{4, unix.VKILL},
	{5, unix.VEOF},
	{6, unix.VEOL},
	{7, unix.VEOL2},
	{8, unix.VSTART},
	{9, unix.VSTOP},
	{10, unix.VSUSP},
	{11, vdsusp},
	{12, unix.VREPRINT},
	{13, unix.VWERASE},
	{14, unix.VLNEXT},
	{17, vstatus},
	{18, unix.VDISCARD},
}

// flagField names the termios field a mode flag lives in.
type flagField int

const (
	iflag flagField = iota
	lflag
	oflag
	cflag
)

// modeFlags are the mode flags sent, in OpenSSH's order (ttymodes.h): the
// RFC 4254 opcode, the field and the bits. A flag this system lacks has
// mask 0.
var modeFlags = []struct {
	op    byte
	field flagField
	mask  uint64
}{
	{30, iflag, unix.IGNPAR},
	{31, iflag, unix.PARMRK},
	{32, iflag, unix.INPCK},
	{33, iflag, unix.ISTRIP},
	{34, iflag, unix.INLCR},
	{35, iflag, unix.IGNCR},
	{36, iflag, unix.ICRNL},
	{37, iflag, iuclc},
	{38, iflag, unix.IXON},
	{39, iflag, unix.IXANY},
	{40, iflag, unix.IXOFF},
	{41, iflag, unix.IMAXBEL},
	{42, iflag, unix.IUTF8},

	{50, lflag, unix.ISIG},
	{51, lflag, unix.ICANON},
	{52, lflag, xcase},
	{53, lflag, unix.ECHO},
	{54, lflag, unix.ECHOE},
	{55, lflag, unix.ECHOK},
	{56, lflag, unix.ECHONL},
	{57, lflag, unix.NOFLSH},
	{58, lflag, unix.TOSTOP},
	{59, lflag, unix.IEXTEN},
	{60, lflag, unix.ECHOCTL},
	{61, lflag, unix.ECHOKE},
	{62, lflag, unix.PENDIN},

	{70, oflag, unix.OPOST},
	{71, oflag, olcuc},
	{72, oflag, unix.ONLCR},
	{73, oflag, unix.OCRNL},
	{74, oflag, unix.ONOCR},
	{75, oflag, unix.ONLRET},

	// CS7 and CS8 are values of the CSIZE field, not bits; like OpenSSH,
	// each is sent as "any of its bits set", so a CS8 terminal sends both
	// as 1. A server that applies them in order (OpenSSH's sshd) ends up
	// with what stock ssh would have given it.
	{90, cflag, unix.CS7},
	{91, cflag, unix.CS8},
	{92, cflag, unix.PARENB},
	{93, cflag, unix.PARODD},
}

// encodeModes encodes t as TerminalModes does.
func encodeModes(t *unix.Termios) []byte {
	b := make([]byte, 0, 5*(2+len(controlChars)+len(modeFlags))+1)
	in, out := speeds(t)
	b = appendMode(b, ttyOpOSpeed, out)
	b = appendMode(b, ttyOpISpeed, in)
	for _, c := range controlChars {
		if c.index != noChar {
			b = appendMode(b, c.op, encodeChar(t.Cc[c.index]))
		}
	}
	fields := [...]uint64{iflag: uint64(t.Iflag), lflag: uint64(t.Lflag), oflag: uint64(t.Oflag), cflag: uint64(t.Cflag)}
	for _, f := range modeFlags {
		if f.mask == 0 {
			continue
		}
		var v uint32
		if fields[f.field]&f.mask != 0 {
			v = 1
		}
		b = appendMode(b, f.op, v)
	}
	return append(b, ttyOpEnd)
}

// encodeChar gives a control character's value; a disabled one
// (_POSIX_VDISABLE) is sent as 255, as OpenSSH does, whatever this system
// disables it with.
func encodeChar(c uint8) uint32 {
	if c == vdisable {
		return 255
	}
	return uint32(c)
}

// appendMode appends an opcode and its value.
func appendMode(b []byte, op byte, v uint32) []byte {
	return binary.BigEndian.AppendUint32(append(b, op), v)
}
