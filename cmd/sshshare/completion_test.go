package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
	"github.com/sshshare/sshshare/share/sshtest"
)

// needTool is the path of a program a test needs. Without it the test is
// skipped, except in CI (CI set), where .ci/deps installs it and its
// absence is a failure.
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed (.ci/deps installs it): %v", name, err)
	}
	t.Skipf("%s is not installed (.ci/deps installs it as root)", name)
	return ""
}

// generated runs the command line with args and writes its output to a
// file named name in a temporary directory, returning the file's path.
func generated(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, errOut, code := runCLI(t, args...)
	if code != 0 || errOut != "" || out == "" {
		t.Fatalf("%v: got stderr %q, exit %d, %d bytes; want a script, exit 0", args, errOut, code, len(out))
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runShell runs a shell command line and returns its combined output.
func runShell(t *testing.T, shell string, args ...string) string {
	t.Helper()
	cmd := exec.Command(shell, args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", shell, args, err, out)
	}
	return string(out)
}

// testModel is the model of the real command line.
func testModel(t *testing.T) *cliModel {
	t.Helper()
	var cli CLI
	parser, err := newParser(&cli, &bytes.Buffer{}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := newCLIModel(parser.Model)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// bashCompleter is a bash script that loads the completion script and
// prints, for each line of words on its stdin, what completing the last
// word offers. A shell function stands in for sshshare __complete-hosts.
const bashCompleter = `source "$1"
sshshare() { [[ $1 == __complete-hosts ]] && printf 'alpha\nbeta\n'; }
while IFS= read -r line; do
    read -ra COMP_WORDS <<<"$line"
    [[ $line == *' ' ]] && COMP_WORDS+=('')
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _sshshare
    echo "${COMPREPLY[*]}"
done
`

func TestCompletionBash(t *testing.T) {
	bash := needTool(t, "bash")
	script := generated(t, "sshshare", "completion", "bash")
	runShell(t, bash, "-n", script)
	if got := runShell(t, bash, "-c", `source "$1" && complete -p sshshare`, "bash", script); !strings.Contains(got, "-F _sshshare sshshare") {
		t.Errorf("complete -p sshshare: got %q; want the _sshshare completer", got)
	}
	tests := []struct{ line, want string }{
		{"sshshare st", "start status stop"},
		{"sshshare stop ", "alpha beta"},
		{"sshshare stop --dr", "--drain"},
		{"sshshare stop --all a", "alpha"},
		{"sshshare path bob ", "alpha beta"},
		{"sshshare path bob alpha ", ""},
		{"sshshare path --persist 1m bob b", "beta"},
		{"sshshare completion ", "bash zsh fish"},
		{"sshshare master", ""},
		{"sshshare bob a", "alpha"},
	}
	var input strings.Builder
	for _, tt := range tests {
		input.WriteString(tt.line + "\n")
	}
	cmd := exec.Command(bash, "-c", bashCompleter, "bash", script)
	cmd.Stdin = strings.NewReader(input.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(got) != len(tests) {
		t.Fatalf("got %d lines %q; want %d", len(got), out, len(tests))
	}
	for i, tt := range tests {
		if got[i] != tt.want {
			t.Errorf("%q: got %q; want %q", tt.line, got[i], tt.want)
		}
	}
}

func TestCompletionZsh(t *testing.T) {
	zsh := needTool(t, "zsh")
	script := generated(t, "_sshshare", "completion", "zsh")
	runShell(t, zsh, "-n", script)
	sourced := runShell(t, zsh, "-f", "-c", `autoload -U compinit && compinit -u -D && source "$1" && print -r -- $_comps[sshshare]`, "zsh", script)
	if strings.TrimSpace(sourced) != "_sshshare" {
		t.Errorf("sourced: got %q; want sshshare completed by _sshshare", sourced)
	}
	fromFpath := runShell(t, zsh, "-f", "-c", `fpath=("$1" $fpath) && autoload -U compinit && compinit -u -D && print -r -- $_comps[sshshare]`, "zsh", filepath.Dir(script))
	if strings.TrimSpace(fromFpath) != "_sshshare" {
		t.Errorf("from $fpath: got %q; want sshshare completed by _sshshare", fromFpath)
	}
}

func TestCompletionFish(t *testing.T) {
	fish := needTool(t, "fish")
	script := generated(t, "sshshare.fish", "completion", "fish")
	runShell(t, fish, "--no-execute", script)
	got := runShell(t, fish, "--no-config", "-c", `source $argv[1]; complete -C"sshshare st"; complete -C"sshshare completion "`, script)
	for _, want := range []string{"start\t", "status\t", "stop\t", "bash\t", "zsh\t", "fish\t"} {
		if !strings.Contains(got, want) {
			t.Errorf("fish completions: got %q; want %q among them", got, want)
		}
	}
}

func TestCompletionScriptsNameEveryCommand(t *testing.T) {
	m := testModel(t)
	for _, shell := range []string{"bash", "zsh", "fish"} {
		out, _, _ := runCLI(t, "completion", shell)
		for _, c := range m.visibleCommands() {
			if !strings.Contains(out, c.Name) {
				t.Errorf("%s script: no %s command", shell, c.Name)
			}
			for _, f := range c.Flags {
				if !strings.Contains(out, "--"+f.Long) && !strings.Contains(out, "-l "+f.Long) {
					t.Errorf("%s script: no --%s flag of %s", shell, f.Long, c.Name)
				}
			}
		}
	}
}

func TestManPage(t *testing.T) {
	groff := needTool(t, "groff")
	page := generated(t, "sshshare.1", "man")
	cmd := exec.Command(groff, "-man", "-ww", "-z", page)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("groff -man -ww -z: %v; got warnings %q; want none", err, out)
	}
	out, err := exec.Command(groff, "-man", "-Tascii", "-P-cbou", page).Output()
	if err != nil {
		t.Fatalf("groff -man -Tascii: %v", err)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	want := []string{"NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS", "FILES", "ENVIRONMENT", "SEE ALSO", "ssh_config(5)",
		"ProxyCommand sshshare --alias %n %r %h %p", "~/.ssh/sshshare/known_hosts"}
	m := testModel(t)
	for _, c := range m.visibleCommands() {
		want = append(want, "sshshare "+c.Name)
		for _, f := range c.Flags {
			want = append(want, "--"+f.Long)
			want = append(want, f.Envs...)
		}
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("rendered man page: no %q", w)
		}
	}
	if strings.Contains(text, "sshshare master") || strings.Contains(text, "__complete-hosts") {
		t.Errorf("rendered man page shows a hidden command")
	}
}

func TestManPageRendersWithMan(t *testing.T) {
	man := needTool(t, "man")
	page := generated(t, "sshshare.1", "man")
	cmd := exec.Command(man, "-l", page)
	cmd.Env = append(os.Environ(), "MANPAGER=cat", "PAGER=cat", "MANWIDTH=80")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SSHSHARE(1)") {
		t.Errorf("man -l: %v; got %q; want the page", err, out)
	}
}

func TestCompleteHosts(t *testing.T) {
	home := t.TempDir()
	sshtest.SetHome(t, home)
	files := map[string]string{
		".ssh/config": "# comment\nHost alpha beta *.wild !gamma\n  HostName 10.0.0.1\nInclude conf.d/* ~/extra\n" +
			"host=delta\nMatch host epsilon\nHost \"two words\" zeta # trailing\n",
		".ssh/conf.d/a": "Host eta\nHost $(touch${IFS}x) theta\n",
		"extra":         "  HOST iota\n",
	}
	for name, content := range files {
		path := filepath.Join(home, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, code := runCLI(t, "__complete-hosts")
	if want := "alpha\nbeta\ndelta\neta\niota\ntheta\nzeta\n"; code != 0 || out != want {
		t.Errorf("got %q (stderr %q), exit %d; want %q, exit 0", out, errOut, code, want)
	}
}

func TestCompleteHostsIncludeLoop(t *testing.T) {
	home := t.TempDir()
	sshtest.SetHome(t, home)
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".ssh", "config"), []byte("Host loop\nInclude config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, code := runCLI(t, "__complete-hosts")
	if code != 0 || out != "loop\n" {
		t.Errorf("got %q, exit %d; want loop, exit 0", out, code)
	}
}

func TestCommandNamesAreKongs(t *testing.T) {
	var cli CLI
	parser, err := newParser(&cli, &bytes.Buffer{}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	var kongs []string
	for _, node := range parser.Model.Children {
		if node.Type == kong.CommandNode {
			kongs = append(kongs, node.Name)
		}
	}
	got := slices.Sorted(slices.Values(commandNames))
	slices.Sort(kongs)
	if !slices.Equal(got, kongs) {
		t.Errorf("fastpath's commandNames: got %q; want kong's commands %q", got, kongs)
	}
}

func TestCLIModelNestedCommands(t *testing.T) {
	var cli struct {
		Top struct {
			One struct{} `cmd:"" help:"One."`
			Two struct{} `cmd:"" help:"Two."`
		} `cmd:"" help:"Top."`
	}
	parser, err := kong.New(&cli, kong.Name("x"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := newCLIModel(parser.Model)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Commands) != 1 || len(m.Commands[0].Args) != 1 || !slices.Equal(m.Commands[0].Args[0].Value.Words, []string{"one", "two"}) {
		t.Errorf("got %+v; want top with one and two as its first argument's choices", m.Commands)
	}
}
