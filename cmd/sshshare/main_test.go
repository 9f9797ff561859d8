package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/share/sshtest"
	"github.com/sshshare/sshshare/share/upstream"
)

// runCLI runs the command line with args and returns stdout, stderr and
// the exit code.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return stdout.String(), stderr.String(), code
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, _, code := runCLI(t, args...)
		if code != 0 || !strings.Contains(out, "devel") {
			t.Errorf("%v: got %q, exit %d; want a version line, exit 0", args, out, code)
		}
	}
}

func TestPath(t *testing.T) {
	dir := t.TempDir()
	out, errOut, code := runCLI(t, "path", "--control-path", dir+"/%r@%h-%p", "bob", "example.com", "2222")
	if want := dir + "/bob@example.com-2222\n"; code != 0 || out != want {
		t.Errorf("got %q (stderr %q), exit %d; want %q, exit 0", out, errOut, code, want)
	}
	out, errOut, code = runCLI(t, "path", "--control-path", dir+"/%r@%h-%p", "../../tmp/x", "example.com", "22")
	if want := dir + "/..%2F..%2Ftmp%2Fx@example.com-22\n"; code != 0 || out != want {
		t.Errorf("user ../../tmp/x: got %q (stderr %q), exit %d; want %q, exit 0", out, errOut, code, want)
	}
	_, errOut, code = runCLI(t, "path", "--control-path", dir+"/%z", "bob", "h", "22")
	if code != 255 || !strings.Contains(errOut, "sshshare: ") || !strings.Contains(errOut, "%z") {
		t.Errorf("unknown token: got stderr %q, exit %d; want one sshshare: line naming %%z, exit 255", errOut, code)
	}
}

func TestKnownHostsRefusesOpenDirWithHint(t *testing.T) {
	home := t.TempDir()
	sshtest.SetHome(t, home)
	out, _, code := runCLI(t, "known-hosts", "example.com")
	lines := strings.Split(out, "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "example.com ecdsa-sha2-nistp256 ") ||
		!strings.HasPrefix(lines[1], "example.com ssh-ed25519 ") {
		t.Fatalf("known-hosts: got %q, exit %d; want an ecdsa-sha2-nistp256 and an ssh-ed25519 line", out, code)
	}
	sshtest.NeedsModes(t)
	dir := filepath.Join(home, ".ssh", "sshshare")
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runCLI(t, "known-hosts", "example.com")
	lines = strings.Split(strings.TrimSpace(errOut), "\n")
	if code != 255 || len(lines) != 2 || !strings.HasPrefix(lines[1], "sshshare: hint: chmod 700 ") {
		t.Errorf("open dir: got stderr %q, exit %d; want an error line and a chmod hint, exit 255", errOut, code)
	}
}

func TestMatchesTarget(t *testing.T) {
	tests := []struct {
		want string
		ok   bool
	}{
		{"10.5.1.2", true},
		{"root@10.5.1.2", true},
		{"10.5.1.2:22", true},
		{"root@10.5.1.2:22", true},
		{"10.5.1.3", false},
		{"bob@10.5.1.2", false},
	}
	for _, tt := range tests {
		if got := matchesTarget("root@10.5.1.2:22", tt.want); got != tt.ok {
			t.Errorf("matchesTarget(root@10.5.1.2:22, %q) = %v; want %v", tt.want, got, tt.ok)
		}
	}
}

func TestChainHopVia(t *testing.T) {
	f := MasterFlags{Via: "jump@a:2222,b", ControlPath: t.TempDir() + "/%r@%h-%p"}
	chain, err := f.chain(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(chain.Hops) != 2 || chain.Hops[1].Target.Host != "b" {
		t.Fatalf("chain: got %d hops; want a then b", len(chain.Hops))
	}
	hop := f.hopFlags(chain.Hops[1].Target, upstream.JoinVia([]upstream.Target{chain.Hops[0].Target}))
	if hop.Via != "jump@a:2222" {
		t.Errorf("second hop's --via: got %q; want %q", hop.Via, "jump@a:2222")
	}
}
