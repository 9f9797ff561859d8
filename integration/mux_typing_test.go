package integration

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// muxTypingSize is the size of the file downloaded while keys are typed.
const muxTypingSize = 30 << 20

// muxTypingDownloads is how many downloads run, one after another, while
// a pane types.
const muxTypingDownloads = 6

// TestMuxTypingBulk: while keys are typed in an interactive session, bulk
// sessions on the same master yield to it (upstream.Priority). Through
// either door, 30 MB downloads come down bit-exact and end, every command
// typed meanwhile echoes and runs, and it is all one login.
func TestMuxTypingBulk(t *testing.T) {
	doors := []struct {
		name string
		env  func() *muxEnv
	}{
		{"ProxyCommand door", func() *muxEnv { return &muxEnv{shareEnv: newShareEnv(t, harness.SSHDOptions{})} }},
		{"mux door", func() *muxEnv { return newMuxEnv(t, harness.SSHDOptions{}) }},
	}
	for _, d := range doors {
		t.Run(d.name, func(t *testing.T) {
			e := d.env()
			requirePTY(t, e.shareEnv)
			probeLogins := e.sshd.Logins()
			e.warm(t)
			src := filepath.Join(t.TempDir(), "src")
			want := shareRandomFile(t, src, muxTypingSize)
			tm := harness.StartTmux(t, e.c)
			const pane = "k"
			tm.NewSession(pane, 80, 24, "ssh -F "+e.c.ConfigPath+" "+shareHost+"; echo EXIT=$?")
			sharePrompt(t, tm, pane)

			var backs []string
			var cmds []*exec.Cmd
			for i := range muxTypingDownloads {
				back := filepath.Join(t.TempDir(), fmt.Sprintf("back%d", i))
				backs = append(backs, back)
				cmds = append(cmds, e.catDown(t, src, back))
			}
			done := make(chan []error, 1)
			go func() { done <- muxRunInTurn(cmds, shareTransferTimeout) }()
			typed := muxTypeUntil(t, tm, pane, done)
			errs := <-done
			for i, err := range errs {
				if err != nil {
					t.Fatalf("download %d while typing: %v", i+1, err)
				}
				if got := shareFileSHA256(t, backs[i]); got != want {
					t.Fatalf("download %d while typing: sha256 %s; want %s", i+1, got, want)
				}
			}
			if typed < 2 {
				t.Fatalf("%d commands echoed during the downloads; want the typing to overlap them", typed)
			}
			t.Logf("%d commands typed and echoed during %d downloads of %d MB", typed, muxTypingDownloads, muxTypingSize>>20)
			tm.Type(pane, "exit 4")
			tm.WaitFor(pane, "EXIT=4", shareTTYWait)
			if got := e.sshd.Logins() - probeLogins; got != 1 {
				t.Errorf("sshd logins = %d; want 1", got)
			}
		})
	}
}

// muxRunInTurn runs cmds one after another, each bounded by timeout, and
// returns each one's error. It makes no test calls, so that it can run
// beside the test's goroutine.
func muxRunInTurn(cmds []*exec.Cmd, timeout time.Duration) []error {
	errs := make([]error, len(cmds))
	for i, cmd := range cmds {
		if err := cmd.Start(); err != nil {
			errs[i] = err
			continue
		}
		kill := time.AfterFunc(timeout, func() { cmd.Process.Kill() })
		errs[i] = cmd.Wait()
		if !kill.Stop() {
			errs[i] = fmt.Errorf("not done after %v: %w", timeout, errs[i])
		}
	}
	return errs
}

// muxTypeUntil types `echo KEY-$((n+1))` commands into pane, each once
// the previous one's output shows, until done has a value (left in it),
// and returns how many echoed. Each is bounded by shareTTYWait, and the
// whole by 1000 commands.
func muxTypeUntil(t *testing.T, tm *harness.Tmux, pane string, done chan []error) int {
	t.Helper()
	for n := 0; n < 1000; n++ {
		select {
		case errs := <-done:
			done <- errs
			return n
		default:
		}
		tm.Type(pane, fmt.Sprintf("echo KEY-$((%d+1))", n))
		tm.WaitFor(pane, fmt.Sprintf("KEY-%d\n", n+1), shareTTYWait)
	}
	return 1000
}
