package setup

import (
	"strings"
	"testing"
)

func TestBlockRender(t *testing.T) {
	b := Block{
		Patterns:        []string{"web-*", "10.5.*"},
		Program:         "/usr/local/bin/sshshare",
		MuxPath:         "~/.ssh/sshshare/%r@%n-%p.mux",
		KnownHostsFiles: []string{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2", "~/.ssh/sshshare/known_hosts"},
		SSHVersion:      "OpenSSH_9.2p1",
	}
	want := `# sshshare's Host block, written by ` + "`sshshare config`" + ` for OpenSSH_9.2p1.
# ssh takes the first value of each keyword: keep this before other Host blocks.
Host web-* 10.5.*
    # Connect through sshshare: one shared login per host; %n is the name you typed.
    ProxyCommand /usr/local/bin/sshshare --alias %n %r %h %p
    # The mux door: ssh reaches a running master in-process on this socket.
    ControlPath ~/.ssh/sshshare/%r@%n-%p.mux
    # No master of ssh's own there: sshshare's master answers on that socket.
    ControlMaster no
    # Trust the master's local host key (sshshare's known_hosts) beside the system's files.
    GlobalKnownHostsFile /etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2 ~/.ssh/sshshare/known_hosts
`
	if got := b.Render(); got != want {
		t.Errorf("Render:\n%s\nwant:\n%s", got, want)
	}
}

func TestBlockRenderVariants(t *testing.T) {
	for _, tt := range []struct {
		name      string
		block     Block
		want      []string
		wantNever []string
	}{
		{"placeholder", Block{Program: "/b/sshshare", KnownHostsFiles: []string{"k"}},
			[]string{"Host " + Placeholder + "\n", "# " + Placeholder + " is a placeholder"}, nil},
		{"no mux door", Block{Patterns: []string{"h"}, Program: "/b/sshshare", KnownHostsFiles: []string{"k"}},
			nil, []string{"ControlPath", "ControlMaster", "placeholder"}},
		{"path with a space and a quote", Block{Patterns: []string{"h"}, Program: "/opt/my tools/it's/sshshare"},
			[]string{`ProxyCommand '/opt/my tools/it'\''s/sshshare' --alias %n %r %h %p` + "\n"}, nil},
		{"percent in the path and flags", Block{Patterns: []string{"h"}, Program: "/opt/100%/sshshare",
			ProxyArgs: []string{"--control-path", "/tmp/s/%r@%h-%p", "--persist", "5m0s"}, MuxPath: "/tmp/s d/%r@%n-%p.mux"},
			[]string{"ProxyCommand /opt/100%%/sshshare --control-path /tmp/s/%%r@%%h-%%p --persist 5m0s --alias %n %r %h %p\n",
				`ControlPath "/tmp/s d/%r@%n-%p.mux"` + "\n"}, nil},
		{"windows", Block{Patterns: []string{"h"}, Program: `C:\Users\me\bin\sshshare.exe`, MuxPath: "~/.ssh/sshshare/%r@%n-%p.mux",
			KnownHostsFiles: []string{`C:\ProgramData\ssh\ssh_known_hosts`, "~/.ssh/sshshare/known_hosts"}, Windows: true},
			[]string{`ProxyCommand C:\Users\me\bin\sshshare.exe --alias %n %r %h %p` + "\n", "For Win32-OpenSSH",
				`GlobalKnownHostsFile "C:\\ProgramData\\ssh\\ssh_known_hosts" ~/.ssh/sshshare/known_hosts` + "\n"},
			[]string{"ControlPath ", "ControlMaster no", "'C:"}},
		{"windows path with a space and percent", Block{Patterns: []string{"h"}, Program: `C:\Program Files\100%\sshshare.exe`,
			ProxyArgs: []string{"--persist", "5m0s"}, Windows: true},
			[]string{`ProxyCommand "C:\Program Files\100%%\sshshare.exe" --persist 5m0s --alias %n %r %h %p` + "\n"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.block.Render()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Render lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tt.wantNever {
				if strings.Contains(got, w) {
					t.Errorf("Render holds %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestKnownHostsFiles(t *testing.T) {
	ours := "~/.ssh/sshshare/known_hosts"
	for _, tt := range []struct {
		system, want []string
	}{
		{[]string{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"}, []string{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2", ours}},
		{[]string{"/etc/ssh/site_keys"}, []string{"/etc/ssh/site_keys", ours}},
		{[]string{"/etc/ssh/site_keys", ours}, []string{"/etc/ssh/site_keys", ours}},
		{[]string{"none"}, []string{ours}},
	} {
		if got := KnownHostsFiles(tt.system, ours); strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("KnownHostsFiles(%q) = %q; want %q", tt.system, got, tt.want)
		}
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/bin/sshshare": "/usr/bin/sshshare",
		"~/x":               "'~/x'",
		"a b":               "'a b'",
		"it's":              `'it'\''s'`,
		"":                  "''",
		"$(reboot)":         "'$(reboot)'",
	} {
		if got := ShellQuote(in); got != want {
			t.Errorf("ShellQuote(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestWindowsQuote(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`C:\bin\sshshare.exe`, `C:\bin\sshshare.exe`},
		{`C:\Program Files\sshshare.exe`, `"C:\Program Files\sshshare.exe"`},
		{``, `""`},
		{`a"b`, `"a\"b"`},
		{`a\"b`, `"a\\\"b"`},
		{`C:\my dir\`, `"C:\my dir\\"`},
	} {
		if got := WindowsQuote(tt.in); got != tt.want {
			t.Errorf("WindowsQuote(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
