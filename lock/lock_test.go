package lock

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Environment switches that turn the test binary into a lock holder.
const (
	helperPathEnv = "SSHSHARE_LOCK_HELPER_PATH"
	helperHoldEnv = "SSHSHARE_LOCK_HELPER_HOLD"
)

// releasedMarker is the file a holder creates just before it unlocks, so a
// waiter can prove it got the lock only after the holder let go.
func releasedMarker(path string) string { return path + ".released" }

// TestHelperProcess is not a test: startHolder runs it in a child process,
// which takes the lock, prints "locked", holds the lock for the requested
// time, marks that it is releasing, releases and exits.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperPathEnv)
	if path == "" {
		return
	}
	hold, err := time.ParseDuration(os.Getenv(helperHoldEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	release, err := Acquire(context.Background(), path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println("locked")
	time.Sleep(hold)
	if err := os.WriteFile(releasedMarker(path), nil, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := release(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(0)
}

// startHolder starts a child process that holds the lock on path for hold,
// returns once the child has the lock, and kills and reaps it in cleanup.
func startHolder(t *testing.T, path string, hold time.Duration) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperPathEnv+"="+path, helperHoldEnv+"="+hold.String())
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // fails harmlessly if the holder already exited
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if line != "locked\n" {
		t.Fatalf("holder printed %q (err %v); want %q", line, err, "locked\n")
	}
	return cmd
}

func TestAcquireWaitsForHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctl")
	startHolder(t, path, 500*time.Millisecond)

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	start := time.Now()
	release, err := Acquire(ctx, path)
	if err != nil {
		t.Fatalf("Acquire: got %v; want nil", err)
	}
	defer release()
	t.Logf("waited %v for the holder", time.Since(start))

	if _, err := os.Stat(releasedMarker(path)); err != nil {
		t.Errorf("Acquire returned before the holder released: %v", err)
	}
	if !recordsPID {
		return
	}
	got, err := os.ReadFile(path + ".lock")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%d\n", os.Getpid()); string(got) != want {
		t.Errorf("lock file: got %q; want %q", got, want)
	}
}

func TestAcquireTimeoutNamesHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctl")
	holder := startHolder(t, path, time.Hour)

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	release, err := Acquire(ctx, path)
	if err == nil {
		release()
		t.Fatal("Acquire: got nil error; want timeout")
	}
	if release != nil {
		t.Errorf("release: got non-nil; want nil")
	}
	for _, target := range []error{ErrTimeout, context.DeadlineExceeded} {
		if !errors.Is(err, target) {
			t.Errorf("errors.Is(%v, %v): got false; want true", err, target)
		}
	}
	want := fmt.Sprintf("lock %s.lock: held by pid %d: timed out", path, holder.Process.Pid)
	if !recordsPID {
		want = fmt.Sprintf("lock %s.lock: held by another process: timed out", path)
	}
	if err.Error() != want {
		t.Errorf("error: got %q; want %q", err, want)
	}
}

func TestReleaseKeepsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctl")
	release, err := Acquire(t.Context(), path)
	if err != nil {
		t.Fatalf("Acquire: got %v; want nil", err)
	}
	for i := range 2 {
		if err := release(); err != nil {
			t.Errorf("release #%d: got %v; want nil", i+1, err)
		}
	}

	fi, err := os.Stat(path + ".lock")
	if err != nil {
		t.Fatalf("lock file after release: %v", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("lock file mode: got %v; want %v", fi.Mode().Perm(), os.FileMode(0o600))
	}

	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	release, err = Acquire(ctx, path)
	if err != nil {
		t.Fatalf("re-Acquire: got %v; want nil", err)
	}
	if err := release(); err != nil {
		t.Errorf("release: got %v; want nil", err)
	}
}

func TestAcquireContendsWithinProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctl")
	release, err := Acquire(t.Context(), path)
	if err != nil {
		t.Fatalf("Acquire: got %v; want nil", err)
	}
	defer release()

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	r, err := Acquire(ctx, path)
	if !errors.Is(err, ErrTimeout) {
		if r != nil {
			r()
		}
		t.Fatalf("second Acquire: got %v; want %v", err, ErrTimeout)
	}
	if want := fmt.Sprintf("held by pid %d", os.Getpid()); recordsPID && !strings.Contains(err.Error(), want) {
		t.Errorf("error: got %q; want it to contain %q", err, want)
	}
}

// TestUseAndReplace: Replace gets the lock only while nobody uses it;
// users share it with each other; Use waits while Replace holds it.
func TestUseAndReplace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	ctx := context.Background()
	release, ok, err := Replace(path)
	if err != nil || !ok {
		t.Fatalf("Replace on a free lock: %v, %v; want it held", ok, err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := Use(short, path); err == nil {
		t.Error("Use while Replace holds the lock: got it; want to wait until ctx ends")
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	use1, err := Use(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	use2, err := Use(ctx, path)
	if err != nil {
		t.Fatalf("a second Use: %v; want the lock shared", err)
	}
	if _, ok, err := Replace(path); err != nil || ok {
		t.Errorf("Replace while in use: %v, %v; want not held", ok, err)
	}
	use1()
	use2()
	if release, ok, err := Replace(path); err != nil || !ok {
		t.Errorf("Replace once every user released: %v, %v; want it held", ok, err)
	} else {
		release()
	}
}
