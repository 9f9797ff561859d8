package sysio

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// hardenChildEnv runs TestHardenProcess's child part: the test binary,
// hardened, reports on itself.
const hardenChildEnv = "SYSIO_TEST_HARDEN_CHILD"

// TestHardenProcess: a hardened process is not dumpable, has core limits
// of 0, lives in /, and resolves relative paths against where it was. It
// runs in a child, as hardening cannot be undone.
func TestHardenProcess(t *testing.T) {
	if mode := os.Getenv(hardenChildEnv); mode != "" {
		hardenChild(mode)
		return
	}
	for _, mode := range []string{"here", "deleted"} {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestHardenProcess$")
		cmd.Env = append(os.Environ(), hardenChildEnv+"="+mode)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child (%s): %v\n%s", mode, err, out)
		}
		want := fmt.Sprintf("dumpable=0 core=0/0 cwd=/ abs=%s/key start=%s\n", dir, dir)
		if mode == "deleted" { // a directory that is gone: paths resolve against /
			want = "dumpable=0 core=0/0 cwd=/ abs=/key start=/\n"
		}
		if !strings.Contains(string(out), want) {
			t.Errorf("child (%s) says %q; want %q", mode, out, want)
		}
	}
}

// hardenChild hardens this process and prints what it then is; mode
// "deleted" removes its working directory first.
func hardenChild(mode string) {
	if mode == "deleted" {
		wd, _ := os.Getwd()
		os.Remove(wd)
	}
	if err := HardenProcess(); err != nil {
		fmt.Println("harden:", err)
		return
	}
	if err := LeaveWorkDir(); err != nil {
		fmt.Println("leave:", err)
		return
	}
	dumpable, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
	if err != nil {
		fmt.Println("prctl:", err)
		return
	}
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &lim); err != nil {
		fmt.Println("getrlimit:", err)
		return
	}
	wd, _ := os.Getwd()
	fmt.Printf("dumpable=%d core=%d/%d cwd=%s abs=%s start=%s\n", dumpable, lim.Cur, lim.Max, wd, Abs("key"), StartDir())
}
