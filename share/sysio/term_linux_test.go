package sysio

import (
	"os"
	"reflect"
	"testing"

	"github.com/sshshare/sshshare/share/sshtest"

	"golang.org/x/crypto/ssh"
	"golang.org/x/sys/unix"
)

// setTermios gives tty exactly the settings in t.
func setTermios(t *testing.T, tty uintptr, tio *unix.Termios) {
	t.Helper()
	if err := unix.IoctlSetTermios(int(tty), unix.TCSETS, tio); err != nil {
		t.Fatalf("set terminal modes: %v", err)
	}
}

// knownTermios is a cooked terminal with ECHO off, CS8 at 9600 baud out
// and 4800 in, two control characters disabled, and a control character
// for every index so that a wrong index shows.
func knownTermios() *unix.Termios {
	tio := &unix.Termios{
		Iflag: unix.ICRNL | unix.IXON | unix.IUTF8,
		Oflag: unix.OPOST | unix.ONLCR,
		Cflag: unix.CS8 | unix.CREAD | unix.B9600 | unix.B4800<<unix.IBSHIFT,
		Lflag: unix.ISIG | unix.ICANON | unix.ECHOE | unix.ECHOK | unix.IEXTEN | unix.ECHOCTL | unix.ECHOKE,
	}
	cc := map[int]uint8{
		unix.VINTR: 3, unix.VQUIT: 0x1c, unix.VERASE: 0x7f, unix.VKILL: 0x15,
		unix.VEOF: 4, unix.VEOL: 0, unix.VEOL2: 0, unix.VSTART: 0x11,
		unix.VSTOP: 0x13, unix.VSUSP: 0x1a, unix.VREPRINT: 0x12,
		unix.VWERASE: 0x17, unix.VLNEXT: 0x16, unix.VDISCARD: 0x0f,
		unix.VMIN: 1, unix.VTIME: 0, unix.VSWTC: 0,
	}
	for i, c := range cc {
		tio.Cc[i] = c
	}
	return tio
}

// knownModes is what knownTermios encodes to on Linux, in OpenSSH's
// order; opcodes are x/crypto's, an independent source of the numbers.
var knownModes = []mode{
	{ssh.TTY_OP_OSPEED, 9600}, {ssh.TTY_OP_ISPEED, 4800},
	{ssh.VINTR, 3}, {ssh.VQUIT, 0x1c}, {ssh.VERASE, 0x7f}, {ssh.VKILL, 0x15},
	{ssh.VEOF, 4}, {ssh.VEOL, 255}, {ssh.VEOL2, 255}, {ssh.VSTART, 0x11},
	{ssh.VSTOP, 0x13}, {ssh.VSUSP, 0x1a}, {ssh.VREPRINT, 0x12},
	{ssh.VWERASE, 0x17}, {ssh.VLNEXT, 0x16}, {ssh.VDISCARD, 0x0f},

	{ssh.IGNPAR, 0}, {ssh.PARMRK, 0}, {ssh.INPCK, 0}, {ssh.ISTRIP, 0},
	{ssh.INLCR, 0}, {ssh.IGNCR, 0}, {ssh.ICRNL, 1}, {ssh.IUCLC, 0},
	{ssh.IXON, 1}, {ssh.IXANY, 0}, {ssh.IXOFF, 0}, {ssh.IMAXBEL, 0},
	{ssh.IUTF8, 1},

	{ssh.ISIG, 1}, {ssh.ICANON, 1}, {ssh.XCASE, 0}, {ssh.ECHO, 0},
	{ssh.ECHOE, 1}, {ssh.ECHOK, 1}, {ssh.ECHONL, 0}, {ssh.NOFLSH, 0},
	{ssh.TOSTOP, 0}, {ssh.IEXTEN, 1}, {ssh.ECHOCTL, 1}, {ssh.ECHOKE, 1},
	{ssh.PENDIN, 0},

	{ssh.OPOST, 1}, {ssh.OLCUC, 0}, {ssh.ONLCR, 1}, {ssh.OCRNL, 0},
	{ssh.ONOCR, 0}, {ssh.ONLRET, 0},

	// CS8's bits include CS7's: OpenSSH sends both as 1.
	{ssh.CS7, 1}, {ssh.CS8, 1}, {ssh.PARENB, 0}, {ssh.PARODD, 0},
}

func TestTerminalModesOfKnownSettings(t *testing.T) {
	_, tty := sshtest.OpenPTY(t)
	setTermios(t, tty.Fd(), knownTermios())
	b, err := TerminalModes(tty.Fd())
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeModes(b)
	if err != nil {
		t.Fatalf("decode %v: %v", b, err)
	}
	if !reflect.DeepEqual(got, knownModes) {
		t.Errorf("got  %v;\nwant %v", got, knownModes)
	}
}

// TestEncodeModesFollowsChanges: each setting the test changes shows in
// its own opcode, and nothing else moves. It encodes the settings
// directly: a Linux pty forces CS8 and no parity, whatever it is told.
func TestEncodeModesFollowsChanges(t *testing.T) {
	tests := []struct {
		name   string
		change func(*unix.Termios)
		want   map[byte]uint32
	}{
		{"echo on", func(tio *unix.Termios) { tio.Lflag |= unix.ECHO }, map[byte]uint32{ssh.ECHO: 1}},
		{"raw", func(tio *unix.Termios) { tio.Lflag &^= unix.ICANON | unix.ISIG; tio.Iflag &^= unix.ICRNL },
			map[byte]uint32{ssh.ICANON: 0, ssh.ISIG: 0, ssh.ICRNL: 0}},
		{"intr ^X", func(tio *unix.Termios) { tio.Cc[unix.VINTR] = 0x18 }, map[byte]uint32{ssh.VINTR: 0x18}},
		{"intr disabled", func(tio *unix.Termios) { tio.Cc[unix.VINTR] = 0 }, map[byte]uint32{ssh.VINTR: 255}},
		{"erase 0xff", func(tio *unix.Termios) { tio.Cc[unix.VERASE] = 0xff }, map[byte]uint32{ssh.VERASE: 255}},
		{"38400 both ways", func(tio *unix.Termios) {
			tio.Cflag = tio.Cflag&^(unix.CBAUD|unix.CBAUDEX|unix.CIBAUD) | unix.B38400
		}, map[byte]uint32{ssh.TTY_OP_OSPEED: 38400, ssh.TTY_OP_ISPEED: 38400}},
		{"115200 out", func(tio *unix.Termios) {
			tio.Cflag = tio.Cflag&^(unix.CBAUD|unix.CBAUDEX) | unix.B115200
		}, map[byte]uint32{ssh.TTY_OP_OSPEED: 115200}},
		{"7 bits odd parity", func(tio *unix.Termios) {
			tio.Cflag = tio.Cflag&^unix.CSIZE | unix.CS7 | unix.PARENB | unix.PARODD
		}, map[byte]uint32{ssh.CS8: 1, ssh.PARENB: 1, ssh.PARODD: 1}}, // CS7's bits are CS8's too
		{"5 bits", func(tio *unix.Termios) { tio.Cflag &^= unix.CSIZE }, map[byte]uint32{ssh.CS7: 0, ssh.CS8: 0}},
		{"output flags", func(tio *unix.Termios) { tio.Oflag |= unix.OLCUC | unix.OCRNL | unix.ONOCR | unix.ONLRET },
			map[byte]uint32{ssh.OLCUC: 1, ssh.OCRNL: 1, ssh.ONOCR: 1, ssh.ONLRET: 1}},
		{"input flags", func(tio *unix.Termios) {
			tio.Iflag |= unix.IGNPAR | unix.PARMRK | unix.INPCK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.IUCLC | unix.IXANY | unix.IXOFF | unix.IMAXBEL
			tio.Iflag &^= unix.IUTF8
		}, map[byte]uint32{ssh.IGNPAR: 1, ssh.PARMRK: 1, ssh.INPCK: 1, ssh.ISTRIP: 1, ssh.INLCR: 1, ssh.IGNCR: 1,
			ssh.IUCLC: 1, ssh.IXANY: 1, ssh.IXOFF: 1, ssh.IMAXBEL: 1, ssh.IUTF8: 0}},
		{"local flags", func(tio *unix.Termios) {
			tio.Lflag = unix.XCASE | unix.ECHONL | unix.NOFLSH | unix.TOSTOP | unix.PENDIN
		}, map[byte]uint32{ssh.ISIG: 0, ssh.ICANON: 0, ssh.XCASE: 1, ssh.ECHOE: 0, ssh.ECHOK: 0, ssh.ECHONL: 1,
			ssh.NOFLSH: 1, ssh.TOSTOP: 1, ssh.IEXTEN: 0, ssh.ECHOCTL: 0, ssh.ECHOKE: 0, ssh.PENDIN: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tio := knownTermios()
			tt.change(tio)
			b := encodeModes(tio)
			got, err := decodeModes(b)
			if err != nil {
				t.Fatalf("decode %v: %v", b, err)
			}
			want := make([]mode, len(knownModes))
			for i, m := range knownModes {
				if v, ok := tt.want[m.op]; ok {
					m.val = v
				}
				want[i] = m
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %v;\nwant %v", got, want)
			}
		})
	}
}

// TestTerminalModesAsXCryptoSendsThem: the string has the shape x/crypto's
// own pty-req builds from an ssh.TerminalModes map (every opcode 1 to 159
// with a 4-byte big-endian value, ended by 0), and read into such a map
// it is what the terminal says.
func TestTerminalModesAsXCryptoSendsThem(t *testing.T) {
	_, tty := sshtest.OpenPTY(t)
	b, err := TerminalModes(tty.Fd())
	if err != nil {
		t.Fatal(err)
	}
	if len(b)%5 != 1 || b[len(b)-1] != ttyOpEnd {
		t.Fatalf("%d bytes ending in %d; want 5n+1 ending in 0", len(b), b[len(b)-1])
	}
	modes, err := decodeModes(b)
	if err != nil {
		t.Fatal(err)
	}
	tm := ssh.TerminalModes{}
	for _, m := range modes {
		if m.op < 1 || m.op > 159 {
			t.Errorf("opcode %d outside 1..159", m.op)
		}
		if _, dup := tm[m.op]; dup {
			t.Errorf("opcode %d sent twice", m.op)
		}
		tm[m.op] = m.val
	}
	tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	checks := map[uint8]uint32{
		ssh.VINTR:  uint32(tio.Cc[unix.VINTR]),
		ssh.ECHO:   boolValue(tio.Lflag&unix.ECHO != 0),
		ssh.ICANON: boolValue(tio.Lflag&unix.ICANON != 0),
		ssh.OPOST:  boolValue(tio.Oflag&unix.OPOST != 0),
	}
	for op, want := range checks {
		if got, ok := tm[op]; !ok || got != want {
			t.Errorf("opcode %d = %d (sent %v); want %d", op, got, ok, want)
		}
	}
	if len(tm) != len(knownModes) {
		t.Errorf("%d opcodes; want %d", len(tm), len(knownModes))
	}
}

// boolValue is a mode flag's value on the wire.
func boolValue(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

func TestWindowSize(t *testing.T) {
	_, tty := sshtest.OpenPTY(t)
	for _, ws := range []unix.Winsize{
		{Row: 24, Col: 80, Xpixel: 640, Ypixel: 480},
		{Row: 1, Col: 65535},
		{},
	} {
		if err := unix.IoctlSetWinsize(int(tty.Fd()), unix.TIOCSWINSZ, &ws); err != nil {
			t.Fatal(err)
		}
		cols, rows, width, height, err := WindowSize(tty.Fd())
		if err != nil {
			t.Fatal(err)
		}
		if cols != uint32(ws.Col) || rows != uint32(ws.Row) || width != uint32(ws.Xpixel) || height != uint32(ws.Ypixel) {
			t.Errorf("got %d cols %d rows %dx%d px; want %+v", cols, rows, width, height, ws)
		}
	}
}

// TestIsTerminal: both sides of a pseudo-terminal are terminals; /dev/null
// and both ends of a pipe (a mux client's stdin under -tt or </dev/null)
// are not.
func TestIsTerminal(t *testing.T) {
	ptm, tty := sshtest.OpenPTY(t)
	r, w := pipe(t)
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { null.Close() })
	for _, tt := range []struct {
		f    *os.File
		want bool
	}{{tty, true}, {ptm, true}, {null, false}, {r, false}, {w, false}} {
		if got := IsTerminal(tt.f.Fd()); got != tt.want {
			t.Errorf("IsTerminal(%s) = %v; want %v", tt.f.Name(), got, tt.want)
		}
	}
}
