//go:build linux || darwin

package sysio

import (
	"encoding/binary"
	"fmt"
	"os"
	"testing"
)

// mode is one opcode and its value in an encoded terminal modes string.
type mode struct {
	op  byte
	val uint32
}

// String shows a mode as op=val, for failure messages.
func (m mode) String() string { return fmt.Sprintf("%d=%d", m.op, m.val) }

// decodeModes walks an encoded terminal modes string as a server does
// (RFC 4254 section 8): opcodes 1 to 159 each followed by a big-endian
// uint32, and TTY_OP_END as the last byte. Anything else is an error: a
// server would stop parsing at an opcode of 160 or more.
func decodeModes(b []byte) ([]mode, error) {
	var modes []mode
	for i := 0; i < len(b); {
		op := b[i]
		switch {
		case op == ttyOpEnd && i == len(b)-1:
			return modes, nil
		case op == ttyOpEnd:
			return nil, fmt.Errorf("TTY_OP_END at %d of %d bytes", i, len(b))
		case op >= 160:
			return nil, fmt.Errorf("opcode %d at %d is not defined", op, i)
		case i+5 > len(b):
			return nil, fmt.Errorf("opcode %d at %d has no 4-byte value", op, i)
		}
		modes = append(modes, mode{op, binary.BigEndian.Uint32(b[i+1:])})
		i += 5
	}
	return nil, fmt.Errorf("no TTY_OP_END in %d bytes", len(b))
}

func TestDecodeModesRejectsMalformed(t *testing.T) {
	for _, b := range [][]byte{
		{},
		{53, 0, 0, 0, 1},
		{53, 0, 0, 0},
		{0, 53, 0, 0, 0, 1, 0},
		{160, 0, 0, 0, 1, 0},
	} {
		if modes, err := decodeModes(b); err == nil {
			t.Errorf("decodeModes(%v) = %v; want an error", b, modes)
		}
	}
}

// pipe returns the two ends of a pipe, closed at cleanup.
func pipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// TestTerminalQueriesRefuseNonTerminals: a pipe or /dev/null (a mux
// client's stdin under -tt or </dev/null) has no modes and no size.
func TestTerminalQueriesRefuseNonTerminals(t *testing.T) {
	r, _ := pipe(t)
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { null.Close() })
	for _, f := range []*os.File{r, null} {
		if modes, err := TerminalModes(f.Fd()); err == nil {
			t.Errorf("TerminalModes(%s) = %v; want an error", f.Name(), modes)
		}
		if cols, rows, _, _, err := WindowSize(f.Fd()); err == nil {
			t.Errorf("WindowSize(%s) = %dx%d; want an error", f.Name(), cols, rows)
		}
	}
}
