package upstream

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/share/sshtest"
)

// writeConfig writes lines as a config file in dir and returns its path.
func writeConfig(t *testing.T, dir, name string, lines ...string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestViewRoutes: the master's view leaves sshshare's ProxyCommand out, so
// the route after it applies, whatever form sshshare's line takes and
// wherever the route is written; the view's files are gone after Load.
func TestViewRoutes(t *testing.T) {
	bin := needSSH(t)
	dir := t.TempDir()
	self := filepath.Join(dir, "bin", "renamed-share")
	writeConfig(t, dir, "bin/renamed-share", "#!/bin/sh")
	included := writeConfig(t, dir, "conf.d/10-route.conf",
		"Host inc",
		"  ProxyCommand exec sshshare %r %h %p",
		"  ProxyJump gw.example:2200",
	)
	config := writeConfig(t, dir, "config",
		"Include "+filepath.Join(dir, "conf.d", "*.conf"),
		"Host same",
		"  ProxyCommand sshshare --alias %n %r %h %p",
		"  ProxyJump alice@bastion.example",
		"Host later",
		"  ProxyCommand="+self+" %r %h %p",
		"Host ssm",
		"  ProxyCommand /usr/local/bin/sshshare %r %h %p",
		"  ProxyCommand sh -c \"aws ssm start-session --target %h\"",
		"Host later ssm-later",
		"  ProxyJump ssh://b1,b2:23",
		"Host plain",
		"  ProxyJump none",
	)
	before, _ := filepath.Glob(filepath.Join(os.TempDir(), "sshshare-view-*"))
	l := ConfigLoader{SSH: bin, ConfigFile: config, Self: self}
	for _, tt := range []struct {
		host    string
		jump    string
		command string
	}{
		{host: "same", jump: "alice@bastion.example"},
		{host: "later", jump: "b1,b2:23"},
		{host: "ssm", command: `sh -c "aws ssm start-session --target %h"`},
		{host: "inc", jump: "gw.example:2200"},
		{host: "plain"},
	} {
		t.Run(tt.host, func(t *testing.T) {
			cfg, err := l.Load(context.Background(), Target{Host: tt.host})
			if err != nil {
				t.Fatal(err)
			}
			if got := JoinVia(cfg.ProxyJump); got != tt.jump {
				t.Errorf("ProxyJump %q; want %q", got, tt.jump)
			}
			if cfg.ProxyCommand != tt.command {
				t.Errorf("ProxyCommand %q; want %q", cfg.ProxyCommand, tt.command)
			}
		})
	}
	after, _ := filepath.Glob(filepath.Join(os.TempDir(), "sshshare-view-*"))
	if len(after) > len(before) {
		t.Errorf("view directories left behind: %q", after)
	}
	if b, _ := os.ReadFile(included); !strings.Contains(string(b), "ProxyCommand exec sshshare") {
		t.Errorf("the included file itself was changed:\n%s", b)
	}
}

// TestViewUntouched: a config without sshshare's line is read as it is:
// no copy at all.
func TestViewUntouched(t *testing.T) {
	dir := t.TempDir()
	config := writeConfig(t, dir, "config", "Host a", "  ProxyJump b", "Include nothing-*.conf")
	v, done, err := ConfigLoader{ConfigFile: config}.view()
	defer done()
	if err != nil || v != config {
		t.Errorf("view() = %q, %v; want %q, nil", v, err, config)
	}
}

// TestViewNoConfig: `-F none` (any case) is ssh's "read no config file":
// the view passes it through, and ssh -G reads no file, not ./none.
func TestViewNoConfig(t *testing.T) {
	bin := needSSH(t)
	dir := t.TempDir()
	t.Chdir(dir)
	writeConfig(t, dir, "none", "Host web", "  ProxyCommand sshshare %r %h %p", "  User fromfile")
	for _, none := range []string{"none", "NONE"} {
		v, done, err := ConfigLoader{ConfigFile: none}.view()
		done()
		if err != nil || v != none {
			t.Errorf("view() = %q, %v; want %q, nil", v, err, none)
		}
		cfg, err := ConfigLoader{SSH: bin, ConfigFile: none}.Load(context.Background(), Target{Host: "web"})
		if err != nil {
			t.Fatalf("-F %s: %v", none, err)
		}
		if cfg.User == "fromfile" {
			t.Errorf("-F %s: User %q: ./none was read", none, cfg.User)
		}
	}
}

// TestViewDefaultFilesKeepSystem: without -F, a copy of the user's config
// ends by including the system-wide file, as ssh reads it after the
// user's, in no Host block.
func TestViewDefaultFilesKeepSystem(t *testing.T) {
	v := &configView{home: t.TempDir(), copies: map[string]string{}}
	writeConfig(t, v.home, ".ssh/config", "Host x", "  ProxyCommand sshshare %r %h %p")
	file, err := v.defaults()
	if v.dir != "" {
		defer os.RemoveAll(v.dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want := "Host x\n" + viewMark + "  ProxyCommand sshshare %r %h %p\n\nMatch all\nInclude " + quoteArg(SystemConfig) + "\n"
	if string(b) != want {
		t.Errorf("view:\n%s\nwant:\n%s", b, want)
	}
	sshtest.WantMode(t, v.dir, 0o700)
}

func TestRunsSSHShare(t *testing.T) {
	for cmd, want := range map[string]bool{
		"sshshare %r %h %p":                       true,
		"exec /opt/bin/sshshare --alias %n %r %h": true,
		`"/path with space/sshshare" %r %h %p`:    true,
		"sshshare.exe %r %h %p":                   true,
		"nc %h %p":                                false,
		"sh -c 'sshshare %r %h %p; exit $?'":      true,
		`bash -c "exec sshshare %r %h %p"`:        true,
		"sh -c 'nc %h %p'":                        false,
		"sh -c":                                   false,
		"":                                        false,
	} {
		if got := RunsSSHShare(cmd, ""); got != want {
			t.Errorf("RunsSSHShare(%q) = %v; want %v", cmd, got, want)
		}
	}
}

func TestParseJump(t *testing.T) {
	hops, err := ParseJump("alice@bastion:2200,ssh://bob@b2:22,[::1]:23,ssh://c/")
	if err != nil {
		t.Fatal(err)
	}
	want := []Target{{User: "alice", Host: "bastion", Port: 2200}, {User: "bob", Host: "b2", Port: 22},
		{Host: "::1", Port: 23}, {Host: "c"}}
	if !reflect.DeepEqual(hops, want) {
		t.Errorf("ParseJump = %+v; want %+v", hops, want)
	}
	if got, err := ParseVia(JoinVia(hops)); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ParseVia(JoinVia) = %+v, %v; want %+v", got, err, want)
	}
}

func TestExpandProxyCommand(t *testing.T) {
	v := map[byte]string{'h': "10.0.0.1", 'p': "22", 'r': "bob", 'n': "web", 'k': "webkey"}
	got, err := expandProxyCommand("nc -X 5 %h %p # %r %n %k 100%%", v)
	if want := "nc -X 5 10.0.0.1 22 # bob web webkey 100%"; err != nil || got != want {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
	for _, bad := range []string{"nc %h %x", "nc %"} {
		if _, err := expandProxyCommand(bad, v); err == nil {
			t.Errorf("expandProxyCommand(%q): no error", bad)
		}
	}
}

// TestViewRelativeInclude: an Include relative to ~/.ssh that reaches
// sshshare's line names the included file's copy; the untouched file
// beside it stays as it is, in glob order.
func TestViewRelativeInclude(t *testing.T) {
	v := &configView{home: t.TempDir(), copies: map[string]string{}}
	writeConfig(t, v.home, ".ssh/conf.d/a.conf", "Host a", "  ProxyCommand sshshare %r %h %p", "  ProxyJump j")
	plain := writeConfig(t, v.home, ".ssh/conf.d/b.conf", "Host b", "  Port 2")
	writeConfig(t, v.home, ".ssh/conf.d/.hidden.conf", "Host h", "  ProxyCommand sshshare %r %h %p")
	user := writeConfig(t, v.home, ".ssh/config", "Host *", "  User u", "Include conf.d/*.conf")
	file, err := v.filtered(user, false, 0)
	if v.dir != "" {
		defer os.RemoveAll(v.dir)
	}
	if err != nil || file == "" {
		t.Fatalf("filtered = %q, %v; want a copy", file, err)
	}
	b, _ := os.ReadFile(file)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	inc := splitArgs(lines[len(lines)-1])
	if len(inc) != 3 || inc[0] != "Include" || inc[2] != plain || !strings.HasPrefix(inc[1], v.dir) {
		t.Fatalf("Include line %q; want the copy of a.conf, then %s", lines[len(lines)-1], plain)
	}
	a, _ := os.ReadFile(inc[1])
	if !strings.Contains(string(a), viewMark+"  ProxyCommand sshshare") || !strings.Contains(string(a), "ProxyJump j") {
		t.Errorf("copy of a.conf:\n%s", a)
	}
}

// TestMayRoute: only a route line besides sshshare's own makes the
// invocation ask ssh -G for the route.
func TestMayRoute(t *testing.T) {
	dir := t.TempDir()
	for name, lines := range map[string][]string{
		"no route":  {"Host a", "  ProxyCommand sshshare %r %h %p", "  ProxyJump none"},
		"jump":      {"Host a", "  ProxyCommand sshshare %r %h %p", "Host *", "  ProxyJump b"},
		"command":   {"Host a", "  ProxyCommand sshshare %r %h %p", "  ProxyCommand nc %h %p"},
		"included":  {"Include " + writeConfig(t, dir, "inc.conf", "ProxyJump x")},
		"only ours": {"Host a", "  ProxyCommand=sshshare %r %h %p"},
	} {
		want := name == "jump" || name == "command" || name == "included"
		if got := (ConfigLoader{ConfigFile: writeConfig(t, dir, name, lines...)}).MayRoute(); got != want {
			t.Errorf("%s: MayRoute() = %v; want %v", name, got, want)
		}
	}
}

// TestSplitArgsBackslash: a backslash escapes what argv_split lets it
// escape and stays before anything else, as in a Windows path.
func TestSplitArgsBackslash(t *testing.T) {
	got := splitArgs(`C:\Users\me\x "a b" c\ d \\e \"f 'g\h'`)
	want := []string{`C:\Users\me\x`, "a b", "c d", `\e`, `"f`, `g\h`}
	if !slices.Equal(got, want) {
		t.Errorf("splitArgs = %q; want %q", got, want)
	}
}
