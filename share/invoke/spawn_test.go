package invoke

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/sysio"
)

// spawnHelperEnv makes this test binary act as a spawned master (see
// TestMain): it reads its environ pipe and reports on its ready pipe as
// the value says: "ok" twice, or "fail".
const spawnHelperEnv = "SSHSHARE_TEST_SPAWNED"

func TestMain(m *testing.M) {
	if how := os.Getenv(spawnHelperEnv); how != "" {
		os.Exit(spawnedMaster(how))
	}
	os.Exit(m.Run())
}

// spawnedMaster is the fake master: it does what cmd/sshshare's master
// does with its handed pipes, and checks that the environ arrived.
func spawnedMaster(how string) int {
	ready, ok := sysio.HandedFD(os.Getenv(control.ReadyFDEnv), 3)
	envFD, envOK := sysio.HandedFD(os.Getenv(control.EnvFDEnv), 0)
	if !ok || !envOK {
		return 3
	}
	envR := sysio.InheritedPipe(envFD, "environ")
	environ, err := ReadEnviron(envR)
	envR.Close()
	w := sysio.InheritedFile(ready, "ready")
	if err != nil || !slices.Contains(environ, "SPAWN_TEST=yes") {
		control.WriteReply(w, control.Reply{Error: "environ not received"})
		return 4
	}
	if fd, ok := sysio.HandedFD(os.Getenv(control.StderrFDEnv), 4); ok {
		stderr := sysio.InheritedFile(fd, "stderr")
		stderr.WriteString("lent stderr\n")
		stderr.Close()
	}
	switch how {
	case "fail":
		control.WriteReply(w, control.Reply{Error: "no login today"})
		return 0
	case "orphan":
		return orphanedMaster(w)
	}
	control.WriteReply(w, control.Reply{OK: true, Warnings: []string{"listening"}})
	control.WriteReply(w, control.Reply{OK: true})
	return 0
}

// orphanedMaster reports that it listens, waits until its invocation has
// gone without a word (as Win32-OpenSSH's TerminateProcess leaves it),
// reports its login into the void, and says in the file the test names
// that it lived through that.
func orphanedMaster(w *os.File) int {
	control.WriteReply(w, control.Reply{OK: true})
	alive := os.Getenv("SSHSHARE_TEST_ALIVE")
	for range 100 {
		if _, err := os.Stat(alive + ".gone"); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for range 3 {
		control.WriteReply(w, control.Reply{OK: true})
	}
	os.WriteFile(alive, []byte("alive"), 0o600)
	return 0
}

// TestSpawnMaster: a spawned master gets its ready and environ pipes (on
// Windows as inherited handles), and its reports come back.
func TestSpawnMaster(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, how := range []string{"ok", "fail"} {
		t.Run(how, func(t *testing.T) {
			env := append(os.Environ(), spawnHelperEnv+"="+how)
			s, err := SpawnMaster(context.Background(), exe, nil, env, []string{"SPAWN_TEST=yes"}, nil)
			if how == "fail" {
				if err == nil || !strings.Contains(err.Error(), "no login today") {
					t.Fatalf("SpawnMaster: %v; want the master's error", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("SpawnMaster: %v", err)
			}
			if !slices.Equal(s.Warnings, []string{"listening"}) {
				t.Errorf("warnings %q; want [listening]", s.Warnings)
			}
			if err := s.Wait(); err != nil {
				t.Errorf("Wait: %v; want the login's success", err)
			}
		})
	}
}

// TestSpawnMasterLendsStderr: a lent stderr that is a pipe reaches the
// master (on Windows a console is not lent: see lendable).
func TestSpawnMasterLendsStderr(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s, err := SpawnMaster(context.Background(), exe, nil, append(os.Environ(), spawnHelperEnv+"=ok"), []string{"SPAWN_TEST=yes"}, w)
	w.Close()
	if err != nil {
		t.Fatalf("SpawnMaster: %v", err)
	}
	if err := s.Wait(); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "lent stderr\n" {
		t.Errorf("lent stderr got %q, %v; want the master's line", got, err)
	}
}

// TestSpawnedMasterOutlivesInvocation: the master does not depend on its
// invocation ending in order. Its report pipe closed under it (the
// invocation killed), its later reports fail and it carries on.
func TestSpawnedMasterOutlivesInvocation(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	alive := filepath.Join(t.TempDir(), "alive")
	env := append(os.Environ(), spawnHelperEnv+"=orphan", "SSHSHARE_TEST_ALIVE="+alive)
	s, err := SpawnMaster(context.Background(), exe, nil, env, []string{"SPAWN_TEST=yes"}, nil)
	if err != nil {
		t.Fatalf("SpawnMaster: %v", err)
	}
	s.report.Close()
	if err := os.WriteFile(alive+".gone", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if b, err := os.ReadFile(alive); err == nil && string(b) == "alive" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the master did not live on after its invocation's pipe closed (no word within 5 s)")
}

// TestReadReportDeadline: a master that never reports does not hold the
// invocation past the deadline, on Windows too (where an os.Pipe takes
// no deadline, hence reportPipe).
func TestReadReportDeadline(t *testing.T) {
	r, w, err := reportPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	start := time.Now()
	_, err = readReport(r, start.Add(200*time.Millisecond))
	if err == nil || !strings.Contains(err.Error(), "wait for master") {
		t.Fatalf("readReport: %v; want a timeout", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("readReport took %v; want about 200ms", took)
	}
}
