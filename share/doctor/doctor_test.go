package doctor

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/control/controltest"
	"github.com/sshshare/sshshare/share/sysio"
)

// only is the one finding of findings with id, failing the test when
// there is none or several.
func only(t *testing.T, findings []Finding, id string) Finding {
	t.Helper()
	var found []Finding
	for _, f := range findings {
		if f.ID == id {
			found = append(found, f)
		}
	}
	if len(found) != 1 {
		t.Fatalf("findings %s = %+v in %+v; want one", id, found, findings)
	}
	return found[0]
}

// want checks a finding's severity and that its what and fix hold the
// given texts.
func want(t *testing.T, f Finding, severity Severity, what, fix string) {
	t.Helper()
	if f.Severity != severity || !strings.Contains(f.What, what) || !strings.Contains(f.Fix, fix) {
		t.Errorf("finding = %+v; want severity %s, what with %q, fix with %q", f, severity, what, fix)
	}
	if f.Severity != OK && f.Fix == "" {
		t.Errorf("finding %+v has no fix", f)
	}
}

func TestNeedsFix(t *testing.T) {
	if NeedsFix([]Finding{ok("a", "x"), warn("b", "y", "z")}) {
		t.Error("NeedsFix(ok, warn) = true; want false")
	}
	if !NeedsFix([]Finding{ok("a", "x"), broken("b", "y", "z")}) {
		t.Error("NeedsFix(ok, fix) = false; want true")
	}
}

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		line string
		want Version
		ok   bool
	}{
		{"OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL 3.0.15 3 Sep 2024", Version{9, 2}, true},
		{"OpenSSH_10.0p2, LibreSSL 3.3.6", Version{10, 0}, true},
		{"OpenSSH_for_Windows_8.1p1, LibreSSL 3.0.2", Version{8, 1}, true},
		{"Sun_SSH_1.1", Version{}, false},
	} {
		got, err := ParseVersion(tc.line)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v, ok %v", tc.line, got, err, tc.want, tc.ok)
		}
	}
}

func TestCheckOpenSSH(t *testing.T) {
	old := CheckOpenSSH("OpenSSH_8.4p1", nil)
	want(t, only(t, old, "openssh.knownhostscommand"), OK, "GlobalKnownHostsFile", "")
	want(t, only(t, old, "openssh.mux"), OK, "without a time limit", "")
	recent := CheckOpenSSH("OpenSSH_9.6p1", nil)
	want(t, only(t, recent, "openssh.mux"), OK, "bounds a master's hello", "")
	if slices.ContainsFunc(recent, func(f Finding) bool { return f.ID == "openssh.knownhostscommand" }) {
		t.Errorf("OpenSSH 9.6: %+v; want no KnownHostsCommand note", recent)
	}
	want(t, only(t, CheckOpenSSH("", os.ErrNotExist), "openssh.version"), Fix, "cannot run ssh", "openssh-client")
}

func TestParseProxyLine(t *testing.T) {
	tok := ProxyTokens{Host: "10.0.0.1", Alias: "web", Port: "22", User: "alice"}
	env := func(name string) string { return map[string]string{"HOME": "/home/alice"}[name] }
	for _, tc := range []struct {
		command string
		want    ProxyLine
	}{
		{"sshshare --alias %n %r %h %p", ProxyLine{Program: "sshshare", Args: []string{"--alias", "web", "alice", "10.0.0.1", "22"}}},
		{"exec /usr/bin/sshshare %r %h %p", ProxyLine{Program: "/usr/bin/sshshare", Args: []string{"alice", "10.0.0.1", "22"}}},
		{"sshshare --control-path '/s/%%r@%%h' %r %h %p", ProxyLine{Program: "sshshare", Args: []string{"--control-path", "/s/%r@%h", "alice", "10.0.0.1", "22"}}},
		{`"$HOME/bin/sshshare" --alias=%n %r %h %p`, ProxyLine{Program: "/home/alice/bin/sshshare", Args: []string{"--alias=web", "alice", "10.0.0.1", "22"}}},
		{`sh -c "sshshare %r %h %p; exit $?"`, ProxyLine{Program: "sshshare", Args: []string{"alice", "10.0.0.1", "22"}, Wrapped: true}},
		{`sh -c 'exec sshshare %r %h %p'`, ProxyLine{Program: "sshshare", Args: []string{"alice", "10.0.0.1", "22"}}},
	} {
		got := ParseProxyLine(tc.command, tok, env)
		if got.Program != tc.want.Program || !slices.Equal(got.Args, tc.want.Args) || got.Wrapped != tc.want.Wrapped {
			t.Errorf("ParseProxyLine(%q) = %+v; want %+v", tc.command, got, tc.want)
		}
	}
}

// host is a Host whose ssh -G says hostname and proxycommand, run on goos.
func host(name, hostname, proxy, goos string) *Host {
	h := &Host{Name: name, Config: Config{"hostname": {hostname}, "port": {"22"}, "user": {"alice"}}, goos: goos}
	if proxy != "" {
		h.Config["proxycommand"] = []string{proxy}
		h.Runs = true
		h.Line = ParseProxyLine(proxy, h.tokens(), func(string) string { return "" })
	}
	return h
}

func TestCheckAlias(t *testing.T) {
	for _, tc := range []struct {
		name     string
		h        *Host
		severity Severity
		what     string
	}{
		{"given", host("web", "10.0.0.1", "sshshare --alias %n %r %h %p", "linux"), OK, "--alias web"},
		{"host name", host("10.0.0.1", "10.0.0.1", "sshshare %r %h %p", "windows"), OK, "its own host name"},
		{"wrong alias", host("web", "10.0.0.1", "sshshare --alias %h %r %h %p", "linux"), Fix, "not the name you typed"},
		{"read from ssh", host("web", "10.0.0.1", "sshshare %r %h %p", "linux"), Warn, "only by reading the command line"},
		{"wrapped", host("web", "10.0.0.1", `sh -c "sshshare %r %h %p; exit $?"`, "linux"), Fix, "cannot read"},
		{"windows", host("web", "10.0.0.1", "sshshare %r %h %p", "windows"), Fix, "cannot read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want(t, only(t, tc.h.checkAlias(), "route.alias"), tc.severity, tc.what, "")
		})
	}
}

func TestCheckRoute(t *testing.T) {
	runs := host("web", "10.0.0.1", "sshshare --alias %n %r %h %p", "linux")
	want(t, only(t, runs.checkRoute(), "route.sshshare"), OK, "ssh runs sshshare", "")

	hidden := host("web", "10.0.0.1", "", "linux")
	hidden.Config["proxyjump"] = []string{"bastion"}
	hidden.Behind = Config{"proxycommand": {"sshshare --alias %n %r %h %p"}}
	want(t, only(t, hidden.checkRoute(), "route.order"), Fix, "ProxyJump bastion", "above the ProxyJump")

	jump := host("web", "10.0.0.1", "", "linux")
	jump.Config["proxyjump"] = []string{"bastion"}
	jump.Behind = Config{}
	want(t, only(t, jump.checkRoute(), "route.sshshare"), Fix, "without sshshare", "ProxyCommand sshshare --alias %n")

	other := host("web", "10.0.0.1", "", "linux")
	other.Config["proxycommand"] = []string{"nc %h %p"}
	want(t, only(t, other.checkRoute(), "route.sshshare"), Fix, "another ProxyCommand", "above it")

	none := host("web", "10.0.0.1", "", "linux")
	want(t, only(t, none.checkRoute(), "route.sshshare"), Fix, "does not run sshshare", "GlobalKnownHostsFile")
}

func TestCheckTrust(t *testing.T) {
	dir := t.TempDir()
	known := filepath.Join(dir, "known_hosts")
	program := filepath.Join(dir, "sshshare")
	if err := os.WriteFile(program, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "cat-keys")
	if err := os.WriteFile(other, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		c        Config
		severity Severity
		what     string
		fix      string
	}{
		{"global file", Config{"globalknownhostsfile": {"/etc/ssh/ssh_known_hosts " + known}}, OK, "among its known hosts files", ""},
		{"user file", Config{"userknownhostsfile": {"/u/known_hosts " + known}}, OK, "among its known hosts files", ""},
		{"none", Config{"userknownhostsfile": {"/u/known_hosts"}}, Fix, "no way to accept", "GlobalKnownHostsFile /etc/ssh/ssh_known_hosts"},
		{"relative command", Config{"knownhostscommand": {"sshshare known-hosts %H"}}, Fix, "absolute path", "known-hosts %H`"},
		{"missing program", Config{"knownhostscommand": {"/nowhere/sshshare known-hosts %H"}}, Fix, "not a program", "known-hosts %H`"},
		{"another command", Config{"knownhostscommand": {other + " %H"}}, Warn, "does not run `sshshare known-hosts`", "GlobalKnownHostsFile"},
		{"sshshare command", Config{"knownhostscommand": {program + " known-hosts %H"}}, OK, "KnownHostsCommand", ""},
		{"no checking", Config{"stricthostkeychecking": {"false"}}, Warn, "any other key", "GlobalKnownHostsFile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want(t, only(t, CheckTrust(tc.c, Config{}, known), "trust.line"), tc.severity, tc.what, tc.fix)
		})
	}
	scope := CheckTrust(Config{"globalknownhostsfile": {known}}, Config{"globalknownhostsfile": {known}}, known)
	want(t, only(t, scope, "trust.scope"), Warn, "applies to every host", "move the line")
}

func TestCheckControl(t *testing.T) {
	mux := "/s/alice@10.0.0.1-22.mux"
	sharing := func(lines Config) *Host {
		h := host("web", "10.0.0.1", "sshshare --alias %n %r %h %p", "linux")
		h.Flags = ProxyFlags{Alias: "web", MuxTemplate: "/s/%r@%h-%p.mux", User: "alice", Host: "10.0.0.1", Port: "22"}
		for k, v := range lines {
			h.Config[k] = v
		}
		return h
	}
	everyAuto := Config{"controlmaster": {"auto"}}
	for _, tc := range []struct {
		name     string
		h        *Host
		id       string
		severity Severity
		what     string
	}{
		{"mux door", sharing(Config{"controlpath": {mux}, "controlmaster": {"false"}}), "control.mux", OK, "ssh tries " + mux},
		{"no control path", sharing(Config{"controlmaster": {"auto"}}), "control.mux", OK, "no ControlPath"},
		{"rival", sharing(Config{"controlpath": {mux}, "controlmaster": {"auto"}}), "control.master", Fix, "rival master"},
		{"stacked", sharing(Config{"controlpath": {"/home/alice/.ssh/cm-abc"}, "controlmaster": {"auto"}, "controlpersist": {"60"}}), "control.master", Fix, "every host"},
		{"other path", sharing(Config{"controlpath": {"/home/alice/.ssh/cm-abc"}, "controlmaster": {"false"}}), "control.mux", Warn, "never reaches the mux door"},
		{"too long", sharing(Config{"controlpath": {"/" + strings.Repeat("x", 120)}, "controlmaster": {"false"}}), "control.length", Fix, "ControlPath too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want(t, only(t, tc.h.checkControl(everyAuto), tc.id), tc.severity, tc.what, "")
		})
	}
	want(t, only(t, CheckEverywhere(Config{"controlmaster": {"auto"}, "controlpath": {"/c/%C"}}), "control.master"), Warn, "applies to every host", "ControlMaster no")
	want(t, only(t, CheckEverywhere(Config{"controlmaster": {"auto"}}), "control.master"), OK, "no ssh ControlMaster", "")
}

func TestCheckAnsible(t *testing.T) {
	work, home := t.TempDir(), t.TempDir()
	vars := map[string]string{}
	env := Env{WorkDir: work, Home: home, Getenv: func(name string) string { return vars[name] }}
	vars["ANSIBLE_SSH_ARGS"] = "-C -o ControlMaster=auto -o ControlPersist=60s"
	want(t, only(t, CheckAnsible(env), "ansible.ssh_args"), Warn, "ANSIBLE_SSH_ARGS", "docs/ansible.md")
	delete(vars, "ANSIBLE_SSH_ARGS")

	cfg := filepath.Join(work, "ansible.cfg")
	if err := os.WriteFile(cfg, []byte("[defaults]\nssh_args = -o ControlMaster=auto\n[ssh_connection]\nssh_args = -C -o ControlMaster=no\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	want(t, only(t, CheckAnsible(env), "ansible.ssh_args"), OK, "ssh_args in "+cfg, "")
	if err := os.WriteFile(cfg, []byte("[ssh_connection]\npipelining = True\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	want(t, only(t, CheckAnsible(env), "ansible.ssh_args"), Warn, "default ssh_args", "ssh_args")
}

func TestCheckStateDir(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "sshshare")
	want(t, only(t, CheckStateDir(dir, nil), "state.dir"), OK, "does not exist yet", "")
	modes := []struct {
		perm     os.FileMode
		severity Severity
		fix      string
	}{
		{0o700, OK, ""},
		{0o750, Warn, "chmod 700"},
		{0o770, Fix, "chmod 700 " + dir},
		{0o707, Fix, "chmod 700 " + dir},
	}
	if runtime.GOOS == "windows" {
		modes = modes[:1] // no mode bits: sysio's TestJudgeSDDL weighs DACLs
	}
	for _, tc := range modes {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, tc.perm); err != nil {
			t.Fatal(err)
		}
		want(t, only(t, CheckStateDir(dir, nil), "state.dir"), tc.severity, "", tc.fix)
	}
	h := host("web", "10.0.0.1", "sshshare --alias %n %r %h %p", "linux")
	h.Flags.SocketErr = &sysio.DirError{Path: "/tmp/sshshare-1000", Problem: "is owned by uid 0", Fix: "set XDG_RUNTIME_DIR"}
	want(t, only(t, CheckStateDir(dir, h), "state.socket"), Fix, "can have no socket", "set XDG_RUNTIME_DIR")
	h.Flags.SocketErr, h.Flags.Socket = nil, filepath.Join(base, "s", "alice@10.0.0.1-22")
	want(t, only(t, CheckStateDir(dir, h), "state.socket"), OK, h.Flags.Socket, "")
	want(t, only(t, CheckStateDir(dir, h), "state.socketdir"), OK, "does not exist yet", "")
}

func TestCheckSockets(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sshshare")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	want(t, only(t, CheckSockets(dir, nil), "sockets.stale"), OK, "no stale sockets", "")

	stale := filepath.Join(dir, "u@gone-22")
	ln, err := sysio.Listen(stale) // leaves the file when closed
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	old := filepath.Join(dir, "u@old-22")
	other := control.ProtocolVersion + 1
	controltest.AnswerAll(t, old, control.Reply{OK: true, Version: other, Status: &control.Status{
		Protocol: other, Target: "u@old:22", Pid: os.Getpid(), Started: time.Now()}})
	if err := control.Register(dir, old); err != nil {
		t.Fatal(err)
	}
	findings := CheckSockets(dir, nil)
	want(t, only(t, findings, "sockets.stale"), Warn, stale, "rm "+stale)
	want(t, only(t, findings, "sockets.version"), Warn, "u@old:22", "sshshare stop --all")
}

func TestTrialHelpers(t *testing.T) {
	for target, want := range map[string]string{"alice@10.0.0.1:22": "10.0.0.1", "bob@[::1]:2222": "::1", "web": "web"} {
		if got := targetHost(target); got != want {
			t.Errorf("targetHost(%q) = %q; want %q", target, got, want)
		}
	}
	before := masterSnapshot{7: {Pid: 7, MuxSessions: 1, Channels: 1}}
	if got := door(before, masterSnapshot{7: {Pid: 7, MuxSessions: 2, Channels: 2}}); !strings.Contains(got, "mux door") {
		t.Errorf("door after a mux session = %q; want the mux door", got)
	}
	if got := door(before, masterSnapshot{7: {Pid: 7, MuxSessions: 1, Channels: 2}}); !strings.Contains(got, "ProxyCommand door") {
		t.Errorf("door after a channel = %q; want the ProxyCommand door", got)
	}
	if got := newMasters(before, masterSnapshot{7: {}, 9: {}}); !slices.Equal(got, []int{9}) {
		t.Errorf("newMasters = %v; want [9]", got)
	}
}
