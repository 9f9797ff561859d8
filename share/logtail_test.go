package share

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/sshtest"
)

// writeLogLines writes lines "line 000" ... to l, each 9 bytes with its
// newline.
func writeLogLines(t *testing.T, l *LogFile, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if _, err := fmt.Fprintf(l, "line %03d\n", i); err != nil {
			t.Fatal(err)
		}
	}
}

// lineRange is "line FROM" ... "line TO-1".
func lineRange(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("line %03d", i))
	}
	return out
}

// TestTailLogAcrossRotation: the last n lines come from the rotated log
// first when the current one holds fewer, and never from further back.
func TestTailLogAcrossRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.log")
	l, err := OpenLogFile(path, 100) // 11 lines a file
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	writeLogLines(t, l, 0, 24) // rotated: 11-21; current: 22-23
	for _, tc := range []struct {
		n    int
		want []string
	}{
		{2, lineRange(22, 24)},
		{4, lineRange(20, 24)},
		{7, lineRange(17, 24)},
		{100, lineRange(11, 24)},
	} {
		var got []string
		if err := TailLog(context.Background(), path, tc.n, false, func(s string) { got = append(got, s) }); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("-n %d: got %q; want %q", tc.n, got, tc.want)
		}
	}
}

// TestTailLogMissing: a log that is not there is an error naming it.
func TestTailLogMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.log")
	err := TailLog(context.Background(), path, 10, false, func(string) {})
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("got %v; want an error naming %s", err, path)
	}
}

// TestTailLogFollows: following sees each line appended, across a
// rotation, and returns when its context ends.
func TestTailLogFollows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.log")
	l, err := OpenLogFile(path, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	writeLogLines(t, l, 0, 3)
	var mu sync.Mutex
	var got []string
	emit := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, s)
	}
	seen := func(n int) func() bool {
		return func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(got) >= n
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- TailLog(ctx, path, 1, true, emit) }()
	sshtest.WaitFor(t, "the last line", seen(1))
	writeLogLines(t, l, 3, 8)
	sshtest.WaitFor(t, "the appended lines", seen(6))
	writeLogLines(t, l, 8, 15) // rotates after line 10
	sshtest.WaitFor(t, "the lines across the rotation", seen(13))
	cancel()
	if err := sshtest.RecvWithin(t, done, 5*time.Second, "TailLog to return"); err != nil {
		t.Fatal(err)
	}
	if want := lineRange(2, 15); !slices.Equal(got, want) {
		t.Errorf("followed: got %q; want %q", got, want)
	}
}
