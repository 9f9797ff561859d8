package integration

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// shareTransferSize is the size of the random file the transfer test
// moves.
const shareTransferSize = 100 << 20

// shareTransferTimeout bounds one 100 MB transfer (race-built sshshare on a
// loaded two-core machine).
const shareTransferTimeout = 2 * time.Minute

// shareTransfer is one way to move a file to the remote side (up: from
// local, to remote) and back (down: from remote, to local). The remote
// side is this machine, so remote paths are local paths too.
type shareTransfer struct {
	name     string
	up, down func(t *testing.T, from, to string) *exec.Cmd
}

// TestShareTransferRoundTrip: a 100 MB random file goes up and comes back
// bit-exact through cat, scp (SFTP and legacy -O), sftp -b and rsync -e
// ssh, all on the master's one login.
func TestShareTransferRoundTrip(t *testing.T) {
	e := newShareEnv(t, harness.SSHDOptions{})
	src := filepath.Join(t.TempDir(), "src")
	want := shareRandomFile(t, src, shareTransferSize)
	for _, tc := range e.transfers() {
		t.Run(tc.name, func(t *testing.T) {
			remote := filepath.Join(t.TempDir(), "remote")
			back := filepath.Join(t.TempDir(), "back")
			e.transferStep(t, tc.name+" upload", tc.up(t, src, remote), remote, want)
			e.transferStep(t, tc.name+" download", tc.down(t, remote, back), back, want)
		})
	}
	if got := e.sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d after all transfers; want 1", got)
	}
}

// transferStep runs one copy and checks the file it made.
func (e *shareEnv) transferStep(t *testing.T, what string, cmd *exec.Cmd, made, want string) {
	t.Helper()
	res := harness.Run(t, shareTransferTimeout, cmd)
	if res.Code != 0 {
		t.Fatalf("%s: %s; want exit 0", what, res)
	}
	if got := shareFileSHA256(t, made); got != want {
		t.Fatalf("%s: sha256 %s; want %s", what, got, want)
	}
	t.Logf("%s: %v (%.1f MB/s)", what, res.Elapsed.Round(time.Millisecond),
		float64(shareTransferSize)/1e6/res.Elapsed.Seconds())
}

// transfers lists the tools under test.
func (e *shareEnv) transfers() []shareTransfer {
	return []shareTransfer{
		{"cat", e.catUp, e.catDown},
		{"scp", e.scp(), e.scp()},
		{"scp -O", e.scp("-O"), e.scp("-O")},
		{"sftp -b", e.sftpPut, e.sftpGet},
		{"rsync -e ssh", e.rsync, e.rsync},
	}
}

func (e *shareEnv) catUp(t *testing.T, local, remote string) *exec.Cmd {
	cmd := e.c.SSH(shareHost, "cat > "+remote)
	cmd.Stdin = shareOpen(t, local)
	return cmd
}

func (e *shareEnv) catDown(t *testing.T, remote, local string) *exec.Cmd {
	cmd := e.c.SSH(shareHost, "cat "+remote)
	cmd.Stdout = shareCreate(t, local)
	return cmd
}

// scp copies with scp and flags, either way.
func (e *shareEnv) scp(flags ...string) func(t *testing.T, from, to string) *exec.Cmd {
	return func(_ *testing.T, from, to string) *exec.Cmd {
		return e.c.Command("scp", append(flags, "-q", shareRemoteArg(from), shareRemoteArg(to))...)
	}
}

func (e *shareEnv) sftpPut(_ *testing.T, local, remote string) *exec.Cmd {
	return e.sftpBatch("put " + local + " " + remote)
}

func (e *shareEnv) sftpGet(_ *testing.T, remote, local string) *exec.Cmd {
	return e.sftpBatch("get " + remote + " " + local)
}

// sftpBatch runs sftp -b with one command read from stdin.
func (e *shareEnv) sftpBatch(line string) *exec.Cmd {
	cmd := e.c.Command("sftp", "-q", "-b", "-", shareHost)
	cmd.Stdin = strings.NewReader(line + "\n")
	return cmd
}

// rsync copies with rsync over ssh, which must use the client's config.
func (e *shareEnv) rsync(_ *testing.T, from, to string) *exec.Cmd {
	return e.c.Command("rsync", "-e", "ssh -F "+e.c.ConfigPath, shareRemoteArg(from), shareRemoteArg(to))
}

// shareRemoteArg prefixes the remote file's path (the one named "remote") with
// the host, for scp and rsync.
func shareRemoteArg(path string) string {
	if filepath.Base(path) == "remote" {
		return shareHost + ":" + path
	}
	return path
}
