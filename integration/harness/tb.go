package harness

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// TB is the part of testing.TB the harness uses. *testing.T and
// *testing.B satisfy it, and Runner does for plain programs.
//
// As with testing.TB, Fatalf must be called from the goroutine running the
// test (or program), so harness functions that may fail must be too.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	TempDir() string
}

// Runner implements TB for a plain program such as make demo. Its zero
// value is ready to use; call Close (usually deferred) to run the cleanups.
//
//	var r harness.Runner
//	defer r.Close()
//	sshd := harness.StartSSHD(&r, harness.SSHDOptions{})
type Runner struct {
	// Out receives Logf and Fatalf output; nil means os.Stderr.
	Out io.Writer

	mu       sync.Mutex
	cleanups []func()
}

// Helper does nothing; it exists to satisfy TB.
func (r *Runner) Helper() {}

// Cleanup registers f to run when Close is called, in last-in first-out
// order as testing.T does.
func (r *Runner) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}

// Logf prints a line to Out.
func (r *Runner) Logf(format string, args ...any) {
	fmt.Fprintf(r.out(), format+"\n", args...)
}

// Fatalf runs the cleanups, prints the message and exits with status 1.
func (r *Runner) Fatalf(format string, args ...any) {
	r.Close()
	fmt.Fprintf(r.out(), "FATAL: "+format+"\n", args...)
	os.Exit(1)
}

// TempDir makes a new temporary directory that Close removes.
func (r *Runner) TempDir() string {
	dir, err := os.MkdirTemp("", "sshshare-")
	if err != nil {
		r.Fatalf("temp dir: %v", err)
	}
	r.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			r.Logf("remove temp dir: %v", err)
		}
	})
	return dir
}

// Close runs the registered cleanups, last first. Each runs once, even if
// Close is called again or a cleanup calls Fatalf.
func (r *Runner) Close() {
	for {
		r.mu.Lock()
		n := len(r.cleanups)
		if n == 0 {
			r.mu.Unlock()
			return
		}
		f := r.cleanups[n-1]
		r.cleanups = r.cleanups[:n-1]
		r.mu.Unlock()
		f()
	}
}

func (r *Runner) out() io.Writer {
	if r.Out == nil {
		return os.Stderr
	}
	return r.Out
}
