package vis

import "testing"

func TestText(t *testing.T) {
	tests := []struct {
		name, in, text, line string
	}{
		{"plain", "bastion refused db:5432: connect failed", "bastion refused db:5432: connect failed", "bastion refused db:5432: connect failed"},
		{"empty", "", "", ""},
		{"utf-8", "Пароль für café: ✓", "Пароль für café: ✓", "Пароль für café: ✓"},
		{"tab and newline", "a\tb\nc", "a\tb\nc", `a\011b\012c`},
		{"OSC title", "no route\x1b]0;TITLE\x07", `no route\033]0;TITLE\007`, `no route\033]0;TITLE\007`},
		{"CR and erase line", "x\r\x1b[2Kfake: all good", `x\015\033[2Kfake: all good`, `x\015\033[2Kfake: all good`},
		{"backspace and DEL", "a\bb\x7f", `a\010b\177`, `a\010b\177`},
		{"C1 CSI as UTF-8", "a\u009b2Jb", `a\302\2332Jb`, `a\302\2332Jb`},
		{"raw 8-bit CSI", "a\x9b2Jb", `a\2332Jb`, `a\2332Jb`},
		{"bidi override", "abc\u202Edef", `abc\342\200\256def`, `abc\342\200\256def`},
		{"backslash", `C:\path \033`, `C:\\path \\033`, `C:\\path \\033`},
		{"NUL", "a\x00b", `a\000b`, `a\000b`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.text {
				t.Errorf("Text(%q) = %q; want %q", tt.in, got, tt.text)
			}
			if got := Line(tt.in); got != tt.line {
				t.Errorf("Line(%q) = %q; want %q", tt.in, got, tt.line)
			}
		})
	}
}

// TestOutputHasNoControls: whatever the input, the output holds no
// control byte but tab and newline (Text), or none at all (Line).
func TestOutputHasNoControls(t *testing.T) {
	var all []byte
	for c := range 256 {
		all = append(all, byte(c))
	}
	for name, f := range map[string]func(string) string{"Text": Text, "Line": Line} {
		for _, c := range []byte(f(string(all) + "\u0085\u202e")) {
			if (c < ' ' && (name == "Line" || c != '\t' && c != '\n')) || c >= 0x7f {
				t.Errorf("%s: output holds byte %#x", name, c)
			}
		}
	}
}

func FuzzLine(f *testing.F) {
	f.Add("no route\x1b]0;TITLE\x07\r\x1b[2Kfake")
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range []byte(Line(s)) {
			if c < ' ' || c == 0x7f {
				t.Fatalf("Line(%q) holds control byte %#x", s, c)
			}
		}
	})
}
