package integration

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// muxTransferSize is the size of the random file the mux door's transfer
// test moves each way with each tool.
const muxTransferSize = 30 << 20

// TestMuxTransfer: a 30 MB random file goes up and comes back
// byte-exact through the mux door with cat, scp (SFTP and legacy -O),
// sftp -b and rsync -e ssh: one mux session for each copy, on the master's
// one login.
func TestMuxTransfer(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{})
	e.warm(t)
	src := filepath.Join(t.TempDir(), "src")
	want := shareRandomFile(t, src, muxTransferSize)
	for _, tc := range e.transfers() {
		t.Run(tc.name, func(t *testing.T) {
			remote := filepath.Join(t.TempDir(), "remote")
			back := filepath.Join(t.TempDir(), "back")
			before := e.served(t)
			e.transferStep(t, tc.name+" upload", tc.up(t, src, remote), remote, want)
			e.transferStep(t, tc.name+" download", tc.down(t, remote, back), back, want)
			e.wantServed(t, before, 2, tc.name+" up and down")
		})
	}
	if got := e.sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d after all transfers; want 1", got)
	}
}

// transferStep runs one copy, checks the file it made and that ssh said
// nothing on stderr.
func (e *muxEnv) transferStep(t *testing.T, what string, cmd *exec.Cmd, made, want string) {
	t.Helper()
	res := harness.Run(t, shareTransferTimeout, cmd)
	if res.Code != 0 || len(res.Stderr) != 0 {
		t.Fatalf("%s: %s; want exit 0 and no stderr", what, res)
	}
	if got := shareFileSHA256(t, made); got != want {
		t.Fatalf("%s: sha256 %s; want %s", what, got, want)
	}
	t.Logf("%s: %v (%.1f MB/s)", what, res.Elapsed.Round(time.Millisecond),
		float64(muxTransferSize)/1e6/res.Elapsed.Seconds())
}

// TestMuxGit: git push, git clone and a push from the clone,
// over ssh through the mux door, move the repository intact: one mux
// session for each git command, on one login.
func TestMuxGit(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{})
	e.warm(t)
	before := e.served(t)
	gitRoundTrip(t, e.shareEnv)
	e.wantServed(t, before, 4, "git init over ssh, push, clone and push")
	if got := e.sshd.Logins(); got != 1 {
		t.Errorf("sshd logins = %d after push, clone and push; want 1", got)
	}
}

// muxParallel is how many transfers TestMuxParallel runs at once, each of
// muxParallelSize bytes.
const (
	muxParallel     = 4
	muxParallelSize = 8 << 20
)

// TestMuxParallel: transfers running at once through the mux door, on
// one master, each up and then down, keep every byte of their own file.
func TestMuxParallel(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{})
	before := e.warm(t)
	dir := t.TempDir()
	want := make([]string, muxParallel)
	for i := range want {
		src := filepath.Join(dir, "src"+strconv.Itoa(i))
		f := shareCreate(t, src)
		b := muxRandomBytes(muxParallelSize)
		b[0] = byte(i) // a different file each
		if _, err := f.Write(b); err != nil {
			t.Fatal(err)
		}
		f.Close()
		want[i] = shareFileSHA256(t, src)
	}
	for _, way := range []string{"up", "down"} {
		procs := make([]*harness.Proc, muxParallel)
		for i := range procs {
			n := strconv.Itoa(i)
			var cmd *exec.Cmd
			if way == "up" {
				cmd = e.c.SSH(shareHost, "cat > "+filepath.Join(dir, "remote"+n))
				cmd.Stdin = shareOpen(t, filepath.Join(dir, "src"+n))
			} else {
				cmd = e.c.SSH(shareHost, "cat "+filepath.Join(dir, "remote"+n))
				cmd.Stdout = shareCreate(t, filepath.Join(dir, "back"+n))
			}
			procs[i] = harness.Start(t, cmd)
		}
		if failed := shareWaitAll(t, procs); failed > 0 {
			t.Fatalf("%d of %d parallel transfers %s failed", failed, muxParallel, way)
		}
		made := "remote"
		if way == "down" {
			made = "back"
		}
		for i := range procs {
			if got := shareFileSHA256(t, filepath.Join(dir, made+strconv.Itoa(i))); got != want[i] {
				t.Errorf("parallel transfer %d %s: sha256 %s; want %s", i, way, got, want[i])
			}
		}
	}
	e.wantServed(t, before, 2*muxParallel, "the parallel transfers")
}
