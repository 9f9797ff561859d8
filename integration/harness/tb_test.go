package harness

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"slices"
	"testing"
)

var (
	_ TB = (*testing.T)(nil)
	_ TB = (*testing.B)(nil)
	_ TB = (*Runner)(nil)
)

func TestRunnerCleanupOrder(t *testing.T) {
	var out bytes.Buffer
	r := &Runner{Out: &out}
	var order []int
	dir := r.TempDir()
	for i := range 3 {
		r.Cleanup(func() { order = append(order, i) })
	}
	r.Logf("hello %d", 1)
	r.Close()
	r.Close()
	if want := []int{2, 1, 0}; !slices.Equal(order, want) {
		t.Errorf("cleanups ran in order %v; want %v", order, want)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("TempDir %s after Close: %v; want it removed", dir, err)
	}
	if got := out.String(); got != "hello 1\n" {
		t.Errorf("Logf wrote %q; want %q", got, "hello 1\n")
	}
}

// fatalTB is a TB whose Fatalf records the message and ends the calling
// goroutine, so tests can check that harness functions fail.
type fatalTB struct {
	*testing.T
	msg string
}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// expectFatal runs fn with a fatalTB and returns the Fatalf message, or
// fails the test if fn returns without calling Fatalf.
func expectFatal(t *testing.T, fn func(tb TB)) string {
	t.Helper()
	f := &fatalTB{T: t}
	done := make(chan bool)
	go func() {
		returned := false
		defer func() { done <- returned }()
		fn(f)
		returned = true
	}()
	if <-done {
		t.Fatal("returned normally; want a Fatalf")
	}
	return f.msg
}
