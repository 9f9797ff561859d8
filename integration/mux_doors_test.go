package integration

import (
	"bytes"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// muxDoorBehaviour is one `ssh shareHost args...` whose outcome must be
// the same through either door, and is known.
type muxDoorBehaviour struct {
	name  string
	args  []string
	stdin []byte
	want  harness.Result // Code, Stdout and Stderr
}

// muxDoorBehaviours is the behaviour set both doors run: exit codes, a
// signal, stdout and stderr apart, an early close, stdin EOF, 1 MB each
// way, a command that stops reading its stdin, ~. on a session without a
// tty, a shell without a tty, and env.
func muxDoorBehaviours() []muxDoorBehaviour {
	mb := muxRandomBytes(1 << 20)
	return []muxDoorBehaviour{
		{name: "exit 0", args: []string{"true"}},
		{name: "exit 1", args: []string{"false"}, want: harness.Result{Code: 1}},
		{name: "exit 44", args: []string{"exit 44"}, want: harness.Result{Code: 44}},
		{name: "kill -9", args: []string{"kill -9 $$"}, want: harness.Result{Code: 255}},
		{
			name: "stdout and stderr apart", args: []string{"echo out; echo err >&2; exit 3"},
			want: harness.Result{Code: 3, Stdout: []byte("out\n"), Stderr: []byte("err\n")},
		},
		{
			name: "early close", args: []string{"-n", "echo early; sleep 0.2; exec >&- 2>&-; sleep 0.3; exit 5"},
			want: harness.Result{Code: 5, Stdout: []byte("early\n")},
		},
		{
			name: "stdin EOF", args: []string{"cat; echo done"}, stdin: []byte("abc"),
			want: harness.Result{Stdout: []byte("abcdone\n")},
		},
		{name: "1 MB through cat", args: []string{"cat"}, stdin: mb, want: harness.Result{Stdout: mb}},
		{
			name: "remote stops reading", args: []string{"head -c 10; exit 7"}, stdin: mb,
			want: harness.Result{Code: 7, Stdout: mb[:10]},
		},
		{
			// The escape character works on a tty only.
			name: "~. without a tty", args: []string{"cat"}, stdin: []byte("a\n~.\nb\n"),
			want: harness.Result{Stdout: []byte("a\n~.\nb\n")},
		},
		{
			name: "shell without a tty", stdin: []byte("echo via-shell; exit 6\n"),
			want: harness.Result{Code: 6, Stdout: []byte("via-shell\n"),
				Stderr: []byte("Pseudo-terminal will not be allocated because stdin is not a terminal.\r\n")},
		},
		{
			name: "env",
			args: []string{"-o", "SendEnv=MUXTEST_SENT GIT_PROTOCOL", "-o", "SetEnv=MUXTEST_SET=set-value OTHER_REFUSED=x", muxEnvProbe},
			want: harness.Result{Stdout: []byte("sent value|set-value|version=2||\n")},
		},
	}
}

// TestMuxDoors: the behaviour set gives the same exit codes, stdout
// and stderr through the ProxyCommand door (AddShareHost) and through the
// mux door (AddMuxHost), each against its own sshd; only the mux door's
// master counts them as mux sessions.
func TestMuxDoors(t *testing.T) {
	behaviours := muxDoorBehaviours()
	opts := harness.SSHDOptions{Extra: muxAcceptEnv}
	doors := []struct {
		name string
		env  *muxEnv
	}{
		{"ProxyCommand door", &muxEnv{shareEnv: newShareEnv(t, opts)}},
		{"mux door", newMuxEnv(t, opts)},
	}
	got := make([][]harness.Result, len(doors))
	for i, d := range doors {
		d.env.c.Env = append(d.env.c.Env, "MUXTEST_SENT=sent value", "MUXTEST_UNSENT=not sent", "GIT_PROTOCOL=version=2")
		before := d.env.warm(t)
		for _, b := range behaviours {
			cmd := d.env.c.SSH(append([]string{shareHost}, b.args...)...)
			if b.stdin != nil {
				cmd.Stdin = bytes.NewReader(b.stdin)
			}
			got[i] = append(got[i], harness.Run(t, sshTimeout, cmd))
		}
		wantMux := len(behaviours)
		if i == 0 {
			wantMux = 0
		}
		d.env.wantServed(t, before, wantMux, d.name)
	}
	for j, b := range behaviours {
		t.Run(b.name, func(t *testing.T) {
			for i, d := range doors {
				if res := got[i][j]; !muxSameOutcome(res, b.want) {
					t.Errorf("%s: exit %d, stdout %d bytes %.60q, stderr %q; want exit %d, stdout %d bytes %.60q, stderr %q",
						d.name, res.Code, len(res.Stdout), res.Stdout, res.Stderr, b.want.Code, len(b.want.Stdout), b.want.Stdout, b.want.Stderr)
				}
			}
			if a, m := got[0][j], got[1][j]; !muxSameOutcome(a, m) {
				t.Errorf("the doors differ: ProxyCommand door exit %d, stdout %.60q, stderr %q; mux door exit %d, stdout %.60q, stderr %q",
					a.Code, a.Stdout, a.Stderr, m.Code, m.Stdout, m.Stderr)
			}
		})
	}
}

// muxSameOutcome reports whether two runs exited alike and wrote the same
// bytes to stdout and to stderr.
func muxSameOutcome(a, b harness.Result) bool {
	return a.Code == b.Code && bytes.Equal(a.Stdout, b.Stdout) && bytes.Equal(a.Stderr, b.Stderr)
}
