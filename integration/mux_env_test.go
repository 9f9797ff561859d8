package integration

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// muxAcceptEnv is the sshd option the env tests add: the variables the
// remote side may receive, GIT_PROTOCOL among them as on a git server.
const muxAcceptEnv = "AcceptEnv MUXTEST_* GIT_PROTOCOL"

// muxEnvProbe prints, on one line, the variables the env tests send.
const muxEnvProbe = `printf '%s|%s|%s|%s|%s\n' "$MUXTEST_SENT" "$MUXTEST_SET" "$GIT_PROTOCOL" "$MUXTEST_UNSENT" "$OTHER_REFUSED"`

// TestMuxEnv: what ssh sends with SendEnv and SetEnv reaches the remote
// command through the mux door, GIT_PROTOCOL included (an OpenSSH master
// drops what its own SendEnv does not name); what ssh does not send, or
// sshd does not accept, does not.
func TestMuxEnv(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{Extra: muxAcceptEnv})
	e.c.Env = append(e.c.Env,
		"MUXTEST_SENT=sent value",
		"MUXTEST_UNSENT=not sent",
		"GIT_PROTOCOL=version=2",
	)
	before := e.warm(t)
	res := e.mustSSH(t,
		"-o", "SendEnv=MUXTEST_SENT GIT_PROTOCOL",
		"-o", "SetEnv=MUXTEST_SET=set-value OTHER_REFUSED=x",
		muxEnvProbe)
	const want = "sent value|set-value|version=2||\n"
	if got := string(res.Stdout); got != want || len(res.Stderr) != 0 {
		t.Errorf("remote env through the mux door: %s; want stdout %q, no stderr", res, want)
	}
	e.wantServed(t, before, 1, "the env probe")
}

// TestMuxGitV2: git's GIT_PROTOCOL (which git sends with
// -o SendEnv=GIT_PROTOCOL) reaches git-upload-pack through the mux door, so
// that the server answers in protocol version 2.
func TestMuxGitV2(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{Extra: muxAcceptEnv})
	e.warm(t)
	bare := filepath.Join(t.TempDir(), "repo.git")
	e.mustSSH(t, "git init -q --bare -b main "+bare)
	before := e.served(t)
	e.c.Env = append(e.c.Env, "GIT_TRACE_PACKET=1")
	res := e.git(t, "", "-c", "protocol.version=2", "ls-remote", shareHost+":"+bare)
	if !strings.Contains(string(res.Stderr), "< version 2") {
		t.Errorf("git ls-remote over the mux door: no %q from the server in the packet trace; stderr:\n%s",
			"< version 2", res.Stderr)
	}
	e.wantServed(t, before, 1, "git ls-remote")
}
