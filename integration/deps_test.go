package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// depsPrograms are the programs .ci/deps looks for, with their packages.
var depsPrograms = map[string]string{
	"sshd": "openssh-server", "ssh": "openssh-client", "git": "git", "rsync": "rsync",
	"tmux": "tmux", "xauth": "xauth", "xdpyinfo": "x11-utils", "pgrep": "procps",
	"zsh": "zsh", "fish": "fish", "groff": "groff-base", "man": "man-db",
	"ansible-playbook": "ansible-core", "krb5kdc": "krb5-kdc", "kadmin.local": "krb5-admin-server",
	"kinit": "krb5-user", "softhsm2-util": "softhsm2",
}

// fakeBin is a directory to be the whole PATH of a .ci/deps run: stand-in
// programs for all of depsPrograms but the missing ones, an id that says
// uid, and an apt-get that logs its arguments to apt.log and "installs" a
// package by creating its program.
func fakeBin(t *testing.T, uid string, missing ...string) (dir, aptLog string) {
	t.Helper()
	dir = t.TempDir()
	aptLog = filepath.Join(t.TempDir(), "apt.log")
	write := func(name, script string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for program := range depsPrograms {
		if !strings.Contains(" "+strings.Join(missing, " ")+" ", " "+program+" ") {
			write(program, "exit 0\n")
		}
	}
	write("id", "echo "+uid+"\n")
	chmod, err := exec.LookPath("chmod")
	if err != nil {
		t.Fatal(err)
	}
	var install strings.Builder
	for program, pkg := range depsPrograms {
		path := filepath.Join(dir, program)
		install.WriteString("  " + pkg + ") echo exit 0 >" + path + "; " + chmod + " +x " + path + " ;;\n")
	}
	write("apt-get", `echo "$*" >>`+aptLog+`
[ "$1" = install ] || exit 0
for p in "$@"; do
  case $p in
`+install.String()+`  esac
done
`)
	return dir, aptLog
}

// runDeps runs .ci/deps with PATH set to dir alone and returns its stderr
// and whether it succeeded.
func runDeps(t *testing.T, dir string, ci bool, args ...string) (string, bool) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("..", ".ci", "deps"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bash, append([]string{script}, args...)...)
	cmd.Env = []string{"PATH=" + dir, "DEPS_SBIN="}
	if ci {
		cmd.Env = append(cmd.Env, "CI=true")
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	return stderr.String(), err == nil
}

func TestDepsWithoutSSHD(t *testing.T) {
	tests := []struct {
		name     string
		uid      string
		ci       bool
		args     []string
		missing  []string
		ok       bool
		stderr   string // a part of it; "" wants none
		aptCalls string
	}{
		{name: "all there", uid: "1000", ok: true},
		{name: "no sshd, not root", uid: "1000", missing: []string{"sshd"},
			stderr: "deps: the tests need openssh-server: install them (apt-get install openssh-server)"},
		{name: "no sshd or rsync, root", uid: "0", missing: []string{"sshd", "rsync"}, ok: true,
			aptCalls: "update -qq\ninstall -y -qq --no-install-recommends openssh-server rsync\n"},
		{name: "no sshd, root, check only", uid: "0", args: []string{"--check"}, missing: []string{"sshd"},
			stderr: "deps: the tests need openssh-server:"},
		{name: "no zsh, not root", uid: "1000", missing: []string{"zsh"}, ok: true,
			stderr: "deps: note: the tests that need zsh will be skipped"},
		{name: "no zsh, not root, CI", uid: "1000", ci: true, missing: []string{"zsh"},
			stderr: "deps: the tests need zsh:"},
		{name: "no zsh, root", uid: "0", missing: []string{"zsh"}, ok: true,
			aptCalls: "update -qq\ninstall -y -qq --no-install-recommends zsh\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, aptLog := fakeBin(t, tt.uid, tt.missing...)
			stderr, ok := runDeps(t, dir, tt.ci, tt.args...)
			if ok != tt.ok {
				t.Errorf("got success %v (stderr %q); want %v", ok, stderr, tt.ok)
			}
			if tt.stderr == "" && stderr != "" || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("got stderr %q; want it to hold %q", stderr, tt.stderr)
			}
			if n := strings.Count(stderr, "\n"); n > 1 {
				t.Errorf("got %d lines on stderr; want at most one", n)
			}
			calls, _ := os.ReadFile(aptLog)
			if string(calls) != tt.aptCalls {
				t.Errorf("got apt-get calls %q; want %q", calls, tt.aptCalls)
			}
		})
	}
}
