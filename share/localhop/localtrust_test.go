package localhop

import (
	"strings"
	"testing"

	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/upstream"
)

func TestCheckLocalTrust(t *testing.T) {
	const local = "/home/u/.ssh/sshshare/known_hosts"
	for _, tc := range []struct {
		name string
		cfg  upstream.HostConfig
		want string // "" for accepted, else a word of the error
	}{
		{"global file", upstream.HostConfig{GlobalKnownHostsFiles: []string{"/etc/ssh/ssh_known_hosts", "/home/u/.ssh/sshshare//known_hosts"}}, ""},
		{"user file", upstream.HostConfig{UserKnownHostsFiles: []string{"/home/u/.ssh/known_hosts", local}}, ""},
		{"absolute command", upstream.HostConfig{KnownHostsCommand: "/usr/local/bin/sshshare known-hosts %H"}, ""},
		{"quoted absolute command", upstream.HostConfig{KnownHostsCommand: `"/opt/my tools/sshshare" known-hosts %H`}, ""},
		{"relative command", upstream.HostConfig{KnownHostsCommand: "sshshare known-hosts %H"}, "absolute path"},
		{"tilde command", upstream.HostConfig{KnownHostsCommand: "~/bin/sshshare known-hosts %H"}, "absolute path"},
		{"nothing", upstream.HostConfig{UserKnownHostsFiles: []string{"/home/u/.ssh/known_hosts"}}, "no way to accept"},
		{"nothing, but no checking", upstream.HostConfig{StrictHostKeyChecking: "no"}, ""},
		{"relative, but off", upstream.HostConfig{KnownHostsCommand: "sshshare known-hosts %H", StrictHostKeyChecking: "off"}, ""},
		{"nothing, accept-new", upstream.HostConfig{StrictHostKeyChecking: "accept-new"}, "no way to accept"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckTrust(tc.cfg, local)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("CheckTrust = %v; want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("CheckTrust = %v; want an error with %q", err, tc.want)
			case err != nil && !strings.Contains(hint.Of(err), knownHostsLine):
				t.Errorf("hint %q; want it to name %q", hint.Of(err), knownHostsLine)
			}
		})
	}
}

func TestCommandProgram(t *testing.T) {
	for cmd, want := range map[string]string{
		"sshshare known-hosts %H":          "sshshare",
		"/usr/bin/sshshare known-hosts %H": "/usr/bin/sshshare",
		`"/a b/c" known-hosts`:             "/a b/c",
		`'/a b/c'`:                         "/a b/c",
		"  /x":                             "/x",
		`"unterminated`:                    "unterminated",
	} {
		if got := commandProgram(cmd); got != want {
			t.Errorf("commandProgram(%q) = %q; want %q", cmd, got, want)
		}
	}
}

func TestScopeWarning(t *testing.T) {
	const kh = "/home/u/.ssh/sshshare/known_hosts"
	for _, tc := range []struct {
		name       string
		everywhere map[string]string
		warn       bool
	}{
		{"no trust line", map[string]string{"globalknownhostsfile": "/etc/ssh/ssh_known_hosts"}, false},
		{"global file", map[string]string{"globalknownhostsfile": "/etc/ssh/ssh_known_hosts " + kh}, true},
		{"user file", map[string]string{"userknownhostsfile": "~/.ssh/known_hosts " + kh}, true},
		{"command", map[string]string{"knownhostscommand": "/usr/bin/sshshare known-hosts %H"}, true},
		{"sshshare everywhere too", map[string]string{"globalknownhostsfile": kh, "proxycommand": "sshshare %r %h %p"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ScopeWarning(tc.everywhere, kh) != ""; got != tc.warn {
				t.Errorf("ScopeWarning(%v): warned %v; want %v", tc.everywhere, got, tc.warn)
			}
		})
	}
}
