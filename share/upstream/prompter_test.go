package upstream

import "testing"

// TestServerText: a server's text that starts a line like one of the
// master's own questions is marked as the server's; other text is relayed
// as it is.
func TestServerText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Password: ", "Password: "},
		{"Enter passphrase for key '/k': ", "Enter passphrase for key '/k': "},
		{"sshshare: Enter passphrase for key '/k': ", "(from the server) sshshare: Enter passphrase for key '/k': "},
		{"  SSHShare: Are you sure? ", "(from the server)   SSHShare: Are you sure? "},
		{"Welcome\nsshshare: Enter passphrase: ", "Welcome\n(from the server) sshshare: Enter passphrase: "},
		{"about sshshare: fine", "(from the server) about sshshare: fine"},
		{"\u00a0sshshare: Enter passphrase: ", "(from the server) \\302\\240sshshare: Enter passphrase: "},
		{"\u200bssh\u200bshare: Enter passphrase: ", "(from the server) \\342\\200\\213ssh\\342\\200\\213share: Enter passphrase: "},
		{"\x1b[2K\rsshshare: Enter passphrase: ", "(from the server) \\033[2K\\015sshshare: Enter passphrase: "},
		{"s s h s h a r e: Enter passphrase: ", "(from the server) s s h s h a r e: Enter passphrase: "},
		{"ssh: share this: ", "(from the server) ssh: share this: "},
		{"", ""},
	}
	for _, tc := range tests {
		if got := serverText(tc.in); got != tc.want {
			t.Errorf("serverText(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}
