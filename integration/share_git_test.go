package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestShareGitCloneAndPush: git push, git clone and a push from the clone
// over ssh through sshshare move the repository intact, on one login.
func TestShareGitCloneAndPush(t *testing.T) {
	e := newShareEnv(t, harness.SSHDOptions{})
	gitRoundTrip(t, e)
	if got := e.sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d after push, clone and push; want 1", got)
	}
}

// gitRoundTrip makes a bare repository on the server over ssh, pushes a
// commit with 1 MiB of data to it, clones it back, and pushes a second
// commit from the clone, checking the bytes and the commits each way.
func gitRoundTrip(t *testing.T, e *shareEnv) {
	t.Helper()
	bare := filepath.Join(t.TempDir(), "repo.git")
	e.mustSSH(t, "git init -q --bare -b main "+bare)

	work := filepath.Join(t.TempDir(), "work")
	e.git(t, "", "init", "-q", "-b", "main", work)
	want := shareRandomFile(t, filepath.Join(work, "data.bin"), 1<<20)
	e.git(t, work, "add", ".")
	e.git(t, work, "commit", "-q", "-m", "first")
	e.git(t, work, "push", "-q", shareHost+":"+bare, "main")

	clone := filepath.Join(t.TempDir(), "clone")
	e.git(t, "", "clone", "-q", shareHost+":"+bare, clone)
	if got := shareFileSHA256(t, filepath.Join(clone, "data.bin")); got != want {
		t.Errorf("cloned data.bin sha256 %s; want %s", got, want)
	}
	if got, want := e.revParse(t, clone, "HEAD"), e.revParse(t, work, "HEAD"); got != want {
		t.Errorf("clone HEAD = %s; want the pushed commit %s", got, want)
	}

	if err := os.WriteFile(filepath.Join(clone, "second.txt"), []byte("second\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.git(t, clone, "add", ".")
	e.git(t, clone, "commit", "-q", "-m", "second")
	e.git(t, clone, "push", "-q", "origin", "main")
	if got, want := e.revParse(t, bare, "main"), e.revParse(t, clone, "HEAD"); got != want {
		t.Errorf("remote main = %s after push from the clone; want %s", got, want)
	}
}

// git runs git in dir ("" for the test's working directory) with ssh
// going through the client's config, and fails unless it exits 0.
func (e *shareEnv) git(t *testing.T, dir string, args ...string) harness.Result {
	t.Helper()
	cmd := e.c.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Env,
		"GIT_SSH_COMMAND=ssh -F "+e.c.ConfigPath,
		"GIT_AUTHOR_NAME=sshshare test", "GIT_AUTHOR_EMAIL=test@sshshare.invalid",
		"GIT_COMMITTER_NAME=sshshare test", "GIT_COMMITTER_EMAIL=test@sshshare.invalid",
	)
	res := harness.Run(t, sshTimeout, cmd)
	if res.Code != 0 {
		t.Fatalf("git %s: %s; want exit 0", strings.Join(args, " "), res)
	}
	return res
}

// revParse returns the commit rev names in the repository at dir.
func (e *shareEnv) revParse(t *testing.T, dir, rev string) string {
	t.Helper()
	return strings.TrimSpace(string(e.git(t, dir, "rev-parse", rev).Stdout))
}
