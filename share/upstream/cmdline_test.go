package upstream

import (
	"reflect"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/share/sshtest"
)

func TestParseCommandLine(t *testing.T) {
	sshtest.SkipOnWindows(t, "a view is read from ssh's command line in /proc or sysctl, which Windows has not; the paths here are Unix paths")
	tests := []struct {
		name     string
		argv     string
		host     string
		config   string
		args     []string
		keyed    []bool
		wantFail string
	}{
		{name: "plain", argv: "ssh web true", host: "web"},
		{name: "user at host", argv: "ssh alice@web", host: "web"},
		{name: "uri", argv: "ssh ssh://alice@web:2222", host: "web"},
		{name: "uri v6", argv: "ssh ssh://alice@[::1]:2222", host: "::1"},
		{name: "separate and joined", argv: "ssh -i key -ikey2 -o Ciphers=aes128-ctr -oUser=bob web",
			host: "web", args: []string{"-i/cwd/key", "-i/cwd/key2", "-oCiphers=aes128-ctr", "-oUser=bob"},
			keyed: []bool{true, true, true, false}},
		{name: "grouped flags", argv: "ssh -4Ctp2222 web", host: "web", args: []string{"-4", "-C", "-p2222"},
			keyed: []bool{true, false, false}},
		{name: "argument starting with dash", argv: "ssh -i -key web", host: "web", args: []string{"-i/cwd/-key"}, keyed: []bool{true}},
		{name: "options after destination", argv: "ssh web -i /k/id uptime -i x", host: "web", args: []string{"-i/k/id"}, keyed: []bool{true}},
		{name: "double dash", argv: "ssh -- web -i x", host: "web"},
		{name: "double dash after destination", argv: "ssh web -- -i x", host: "web"},
		{name: "config file", argv: "ssh -F cfg web", host: "web", config: "/cwd/cfg"},
		{name: "no config file", argv: "ssh -F none web", host: "web", config: "none"},
		{name: "no config file any case", argv: "ssh -FNone web", host: "web", config: "None"},
		{name: "tilde kept", argv: "ssh -i ~/.ssh/k -o IdentityFile=%d/k web", host: "web",
			args: []string{"-i~/.ssh/k", "-oIdentityFile=%d/k"}, keyed: []bool{true, true}},
		{name: "identityfile made absolute", argv: "ssh -o IdentityFile+k web", host: "web",
			args: []string{"-oIdentityFile /cwd/k"}, keyed: []bool{true}},
		{name: "scp's options are local", argv: "/usr/bin/ssh -x -oPermitLocalCommand=no -oClearAllForwardings=yes -oRemoteCommand=none -oRequestTTY=no -oForwardAgent=no -l bob -s -- web sftp",
			host: "web", args: []string{"-lbob"}, keyed: []bool{false}},
		{name: "own ProxyCommand left out", argv: "ssh -o ProxyCommand=sshshare+%r+%h+%p web", host: "web"},
		{name: "git's SendEnv is local", argv: "ssh -o SendEnv=GIT_PROTOCOL web git-upload-pack 'x'", host: "web"},
		{name: "local flags dropped", argv: "ssh -A -X -t -N -L 1:h:2 -R 3:h:4 -D 5 -E log -S ctl -e none -v web", host: "web"},
		{name: "timing options not keyed", argv: "ssh -o ConnectTimeout=5 -o ServerAliveInterval=10 web",
			host: "web", args: []string{"-oConnectTimeout=5", "-oServerAliveInterval=10"}, keyed: []bool{false, false}},
		{name: "unknown keyword keyed", argv: "ssh -o Frobnicate=yes web", host: "web", args: []string{"-oFrobnicate=yes"}, keyed: []bool{true}},
		{name: "unknown option", argv: "ssh -Z web", wantFail: "unknown option -Z"},
		{name: "missing argument", argv: "ssh web -i", wantFail: "needs an argument"},
		{name: "no destination", argv: "ssh -4", wantFail: "no destination"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			argv := strings.Fields(tt.argv)
			for i := range argv {
				argv[i] = strings.ReplaceAll(argv[i], "+", " ") // a space inside one argument
			}
			cl, err := ParseCommandLine(argv, "/cwd")
			if tt.wantFail != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantFail) {
					t.Fatalf("got error %v; want one containing %q", err, tt.wantFail)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cl.Host != tt.host || cl.ConfigFile != tt.config {
				t.Errorf("got host %q config %q; want %q %q", cl.Host, cl.ConfigFile, tt.host, tt.config)
			}
			if !reflect.DeepEqual(cl.Args, tt.args) || !reflect.DeepEqual(cl.keyed, tt.keyed) {
				t.Errorf("got args %q keyed %v; want %q %v", cl.Args, cl.keyed, tt.args, tt.keyed)
			}
		})
	}
}

func TestCommandLineKey(t *testing.T) {
	parse := func(argv string) CommandLine {
		cl, err := ParseCommandLine(strings.Fields(argv), "/cwd")
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	plain := []string{"ssh web", "ssh -p 2222 -l bob web", "ssh -C -o ConnectTimeout=3 web", "scp -o SendEnv=X web"}
	for _, argv := range plain {
		if k := parse(argv).Key("web"); k != "" {
			t.Errorf("%s: got key %q; want none", argv, k)
		}
	}
	keys := map[string]string{}
	for _, argv := range []string{"ssh alias", "ssh other", "ssh -i a web", "ssh -i b web", "ssh -F cfg web", "ssh -4 web", "ssh -o Ciphers=aes128-ctr web"} {
		k := parse(argv).Key("web")
		if len(k) != 16 {
			t.Errorf("%s: got key %q; want 16 hex digits", argv, k)
		}
		if prev, ok := keys[k]; ok {
			t.Errorf("%s and %s share key %s", argv, prev, k)
		}
		keys[k] = argv
	}
	if a, b := parse("ssh -i a web").Key("web"), parse("ssh web -i a -o ConnectTimeout=1").Key("web"); a != b {
		t.Errorf("same view, keys %s and %s", a, b)
	}
}

// TestCommandLineNoSession: -N and SessionType none say ssh runs no
// remote command; they are not part of the view.
func TestCommandLineNoSession(t *testing.T) {
	for argv, want := range map[string]bool{
		"ssh web":                            false,
		"ssh -N -L 8080:x:80 web":            true,
		"ssh -fNT web":                       true,
		"ssh -o SessionType=none web":        true,
		"ssh -oSessionType=None web":         true,
		"ssh -o SessionType=subsystem web x": false,
		"ssh web -N":                         true,
	} {
		cl, err := ParseCommandLine(strings.Fields(argv), "/cwd")
		if err != nil || cl.NoSession != want || len(cl.Args) != 0 {
			t.Errorf("%s: NoSession %v, args %q, %v; want %v and no args", argv, cl.NoSession, cl.Args, err, want)
		}
	}
}
