package share

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// escapeStep is one read through an escapeFilter and what it must give.
type escapeStep struct {
	in, out, msg string
	act          escapeAction
}

func TestEscapeFilter(t *testing.T) {
	help := newEscapeFilter('~').help()
	tests := []struct {
		name  string
		char  byte
		steps []escapeStep
	}{
		{"text passes", '~', []escapeStep{{in: "ls -l\r", out: "ls -l\r"}}},
		{"empty read", '~', []escapeStep{{}, {in: "~.", msg: "~.\r\n", act: escapeClose}}},
		{"close at start", '~', []escapeStep{{in: "~.", msg: "~.\r\n", act: escapeClose}}},
		{"close after CR drops the rest", '~', []escapeStep{
			{in: "ls\r~.rm -rf /\r", out: "ls\r", msg: "~.\r\n", act: escapeClose}}},
		{"close after LF", '~', []escapeStep{{in: "a\n~.", out: "a\n", msg: "~.\r\n", act: escapeClose}}},
		{"later reads dropped after close", '~', []escapeStep{
			{in: "~.", msg: "~.\r\n", act: escapeClose},
			{in: "more\r"},
			{in: "~."},
		}},
		{"mid-line is text", '~', []escapeStep{{in: "a~.b~B", out: "a~.b~B"}}},
		{"break", '~', []escapeStep{{in: "~B", msg: "~B\r\n", act: escapeBreak}}},
		{"break then text", '~', []escapeStep{{in: "~Bls\r", out: "ls\r", msg: "~B\r\n", act: escapeBreak}}},
		{"escapes in a row", '~', []escapeStep{
			{in: "~B~?~.x", msg: "~B\r\n" + help + "~.\r\n", act: escapeClose}}},
		{"two breaks one action", '~', []escapeStep{
			{in: "~B\r~B", out: "\r", msg: "~B\r\n~B\r\n", act: escapeBreak}}},
		{"lowercase b is text", '~', []escapeStep{{in: "~b", out: "~b"}}},
		{"help", '~', []escapeStep{{in: "~?", msg: help}}},
		{"doubled sends one", '~', []escapeStep{{in: "~~", out: "~"}}},
		{"doubled ends the line start", '~', []escapeStep{{in: "~~~.", out: "~~."}}},
		{"other byte sends both", '~', []escapeStep{{in: "~x", out: "~x"}, {in: "~.", out: "~."}}},
		{"escape then newline", '~', []escapeStep{{in: "~\r~.", out: "~\r", msg: "~.\r\n", act: escapeClose}}},
		{"escape then NUL", '~', []escapeStep{{in: "~\x00", out: "~\x00"}}},
		{"suspend refused", '~', []escapeStep{{in: "~\x1a", msg: "~^Z is not available to multiplexed sessions\r\n"}}},
		{"command line refused", '~', []escapeStep{{in: "~C", msg: "~C is not available to multiplexed sessions\r\n"}}},
		{"refusals in a row", '~', []escapeStep{{in: "~V~v~&~R~#~I", msg: "" +
			"~V is not available to multiplexed sessions\r\n" +
			"~v is not available to multiplexed sessions\r\n" +
			"~& is not available to multiplexed sessions\r\n" +
			"~R is not available to multiplexed sessions\r\n" +
			"~# is not available to multiplexed sessions\r\n" +
			"~I is not available to multiplexed sessions\r\n"}}},
		{"split close", '~', []escapeStep{{in: "ls\r~", out: "ls\r"}, {in: ".", msg: "~.\r\n", act: escapeClose}}},
		{"split other", '~', []escapeStep{{in: "~"}, {in: "xy", out: "~xy"}}},
		{"split doubled", '~', []escapeStep{{in: "~"}, {in: "~", out: "~"}, {in: "~.", out: "~."}}},
		{"newline carried over", '~', []escapeStep{{in: "ls\r", out: "ls\r"}, {in: "~B", msg: "~B\r\n", act: escapeBreak}}},
		{"no newline carried over", '~', []escapeStep{{in: "ls", out: "ls"}, {in: "~.", out: "~."}}},
		{"line start kept after escape", '~', []escapeStep{
			{in: "~B", msg: "~B\r\n", act: escapeBreak}, {in: "~.", msg: "~.\r\n", act: escapeClose}}},
		{"control char escape", 0x1d, []escapeStep{
			{in: "~.", out: "~."},
			{in: "\r\x1d.", out: "\r", msg: "\x1d.\r\n", act: escapeClose}}},
		{"control char doubled", 0x1d, []escapeStep{{in: "\x1d\x1d", out: "\x1d"}}},
		{"control char refusal", 0x1d, []escapeStep{
			{in: "\x1dC", msg: "\x1dC is not available to multiplexed sessions\r\n"}}},
		{"control char help", 0x1d, []escapeStep{{in: "\x1d?", msg: newEscapeFilter(0x1d).help()}}},
		{"high byte escape", 0xe9, []escapeStep{{in: "\xe9B", msg: "\xe9B\r\n", act: escapeBreak}}},
		{"letter escape", 'B', []escapeStep{{in: "BB", msg: "BB\r\n", act: escapeBreak}}},
		{"no escape character", 0, []escapeStep{{in: "~.\x00.\r\x00B", out: "~.\x00.\r\x00B"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newEscapeFilter(tt.char)
			for i, s := range tt.steps {
				out, msg, act := f.filter([]byte(s.in))
				if string(out) != s.out || msg != s.msg || act != s.act {
					t.Errorf("read %d %q: got %q, %q, %d; want %q, %q, %d", i, s.in, out, msg, act, s.out, s.msg, s.act)
				}
			}
		})
	}
}

// TestEscapeHelp: ~? lists the escapes a multiplexed session has, with
// the session's escape character, in raw-mode lines.
func TestEscapeHelp(t *testing.T) {
	help := newEscapeFilter('%').help()
	for _, want := range []string{"%?\r\n", " %. ", " %B ", " %? ", " %% ", "%^Z", "%C", "not available to multiplexed sessions"} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q:\n%s", want, help)
		}
	}
	if !strings.HasSuffix(help, "\r\n") || strings.Count(help, "\n") != strings.Count(help, "\r\n") {
		t.Errorf("help lines do not all end in \\r\\n: %q", help)
	}
}

// TestEscapeFilterSplitAnywhere: however the input is cut into reads, the
// filter sends, prints and asks for the same as for one read.
func TestEscapeFilterSplitAnywhere(t *testing.T) {
	const alphabet = "~~~..BBx?C\x1a\r\n"
	rng := rand.New(rand.NewPCG(18, 18))
	for range 2000 {
		in := make([]byte, rng.IntN(12))
		for i := range in {
			in[i] = alphabet[rng.IntN(len(alphabet))]
		}
		wantOut, wantMsg, wantAct := newEscapeFilter('~').filter(bytes.Clone(in))
		f := newEscapeFilter('~')
		var out []byte
		var msg strings.Builder
		act := escapeNone
		for rest := in; len(rest) > 0; {
			n := 1 + rng.IntN(len(rest))
			o, m, a := f.filter(bytes.Clone(rest[:n]))
			out = append(out, o...)
			msg.WriteString(m)
			if a == escapeClose || act == escapeNone {
				act = a
			}
			rest = rest[n:]
		}
		if !bytes.Equal(out, wantOut) || msg.String() != wantMsg || act != wantAct {
			t.Fatalf("%q in reads: got %q, %q, %d; in one read %q, %q, %d", in, out, msg.String(), act, wantOut, wantMsg, wantAct)
		}
	}
}

// TestEscapeFilterPassesTextUntouched: input without the escape character
// at a line start comes out as it went in.
func TestEscapeFilterPassesTextUntouched(t *testing.T) {
	f := newEscapeFilter('~')
	in := []byte("x")
	for i := range 256 {
		if b := byte(i); b != '~' && !isNewline(b) {
			in = append(in, b, '~')
		}
	}
	out, msg, act := f.filter(bytes.Clone(in))
	if !bytes.Equal(out, in) || msg != "" || act != escapeNone {
		t.Errorf("got %q, %q, %d; want the input back", out, msg, act)
	}
}
