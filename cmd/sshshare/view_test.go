package main

import (
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/sshtest"
	"github.com/sshshare/sshshare/share/upstream"
)

// viewFlags are the proxy's flags for `ssh argv...` run as the parent.
func viewFlags(t *testing.T, dir string, argv ...string) TargetFlags {
	t.Helper()
	cl, err := upstream.ParseCommandLine(argv, "/work")
	if err != nil {
		t.Fatal(err)
	}
	f := TargetFlags{MasterFlags: MasterFlags{ControlPath: dir + "/%r@%h-%p"}, User: "bob", Host: "10.0.0.5", Port: "22", view: cl}
	f.Alias = cl.Host
	return f
}

// TestViewSocket: the plain view keeps today's name; an alias or an
// upstream-shaping option gets a keyed name of its own.
func TestViewSocket(t *testing.T) {
	dir := t.TempDir()
	plain := dir + "/bob@10.0.0.5-22" // as the template has it
	seen := map[string]string{}
	for _, tc := range []struct {
		argv  []string
		keyed bool
	}{
		{[]string{"ssh", "10.0.0.5"}, false},
		{[]string{"ssh", "-p", "22", "-o", "SendEnv=X", "bob@10.0.0.5", "true"}, false},
		{[]string{"ssh", "web"}, true},
		{[]string{"ssh", "db"}, true},
		{[]string{"ssh", "-i", "key", "10.0.0.5"}, true},
	} {
		got, err := viewFlags(t, dir, tc.argv...).socket()
		if err != nil {
			t.Fatal(err)
		}
		if keyed := got != plain; keyed != tc.keyed || (keyed && !strings.HasPrefix(got, plain+"+")) {
			t.Errorf("%q: socket %s; want keyed %v (plain %s)", tc.argv, got, tc.keyed, plain)
		}
		if prev, ok := seen[got]; ok && tc.keyed {
			t.Errorf("%q and %q share socket %s", tc.argv, prev, got)
		}
		seen[got] = strings.Join(tc.argv, " ")
	}
}

// TestMasterArgsCarryView: the master started for a view reads back the
// same alias, config file and options, commas and spaces included.
func TestMasterArgsCarryView(t *testing.T) {
	sshtest.SkipOnWindows(t, "a view is read from ssh's command line in /proc or sysctl, which Windows has not")
	f := viewFlags(t, t.TempDir(), "ssh", "-F", "cfg", "-o", "Ciphers=aes128-ctr,aes256-ctr", "-o", "IdentityFile k", "web")
	f.ConfigFile = f.view.ConfigFile
	args := f.masterArgs("/s", "share")
	var cli CLI
	parser, err := newParser(&cli, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parser.Parse(args); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	m := cli.Master
	want := []string{"-oCiphers=aes128-ctr,aes256-ctr", "-oIdentityFile /work/k"}
	if m.Alias != "web" || m.ConfigFile != "/work/cfg" || !reflect.DeepEqual(m.SSHOptions, want) {
		t.Errorf("master flags: alias %q config %q options %q; want web /work/cfg %q", m.Alias, m.ConfigFile, m.SSHOptions, want)
	}
}

// TestStatusTableShowsView: the table has the alias and identity columns,
// and a line for the ssh options or why they were not read.
func TestStatusTableShowsView(t *testing.T) {
	var b strings.Builder
	err := printStatusTable(&b, []*control.Status{
		{Target: "root@10.0.0.5:22", Alias: "web", Identity: "ED25519 SHA256:abc", SSHOptions: []string{"-i/k/deploy", "-4"}, Mode: "share"},
		{Target: "root@10.0.0.6:22", SSHOptionsUnread: "the ProxyCommand's parent is not ssh (\"sh\")", Mode: "share"},
	})
	if err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"ALIAS", "IDENTITY", " web ", "ED25519 SHA256:abc",
		"root@10.0.0.5:22: ssh options: -i/k/deploy -4\n",
		"root@10.0.0.6:22: ssh's command line not read, the ssh config alone applies: the ProxyCommand's parent is not ssh (\"sh\")\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("status table lacks %q:\n%s", want, out)
		}
	}
}
