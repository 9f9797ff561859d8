package main

import (
	"bufio"
	"bytes"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestCatchHangupsCommandDefaults: a command the master runs starts with
// SIGHUP and SIGPIPE at their defaults, even when the master itself was
// started with them ignored (the invocation ignores SIGHUP), so the SIGHUP
// that ends a ProxyCommand ends it.
func TestCatchHangupsCommandDefaults(t *testing.T) {
	signal.Ignore(syscall.SIGHUP, syscall.SIGPIPE) // as inherited
	t.Cleanup(func() { signal.Reset(syscall.SIGHUP, syscall.SIGPIPE) })
	catchHangups()
	out, err := exec.Command("cat", "/proc/self/status").Output()
	if err != nil {
		t.Fatal(err)
	}
	ignored := sigIgn(t, out)
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGPIPE} {
		if ignored&(1<<(sig-1)) != 0 {
			t.Errorf("the command starts with %v ignored (SigIgn %#x)", sig, ignored)
		}
	}
}

// sigIgn is the SigIgn mask of a /proc/PID/status.
func sigIgn(t *testing.T, status []byte) uint64 {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "SigIgn:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			return mask
		}
	}
	t.Fatalf("no SigIgn in /proc/self/status:\n%s", status)
	return 0
}
