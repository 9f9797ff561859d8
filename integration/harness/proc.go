package harness

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"time"

	"github.com/sshshare/sshshare/share/sshtest"
)

// reapTimeout bounds the wait for a killed process to be reaped.
const reapTimeout = 10 * time.Second

// pipeDelay bounds how long Wait waits for stdout and stderr to close
// after the process exits; a descendant still holding them is a bug
// (the sshshare master must never hold its caller's output).
const pipeDelay = 2 * time.Second

// Proc is a long-running process started by Start. Its cleanup kills the
// process, its process group and (on Linux) every descendant that left the
// group, such as sshd's per-connection children, then reaps it.
type Proc struct {
	Cmd *exec.Cmd

	tb             TB
	stdout, stderr *sshtest.Buffer // nil when the caller set Cmd.Stdout/Stderr
	done           chan struct{}
	err            error // valid once done is closed
	killOnce       sync.Once
}

// Start starts cmd in a new process group and registers a cleanup that
// kills and reaps it. If cmd.Stdout or cmd.Stderr is nil, the output is
// kept for Stdout and Stderr.
//
// Start waits for the process in the background, so pipes from
// cmd.StdoutPipe close as soon as it exits; read them only while it runs.
func Start(tb TB, cmd *exec.Cmd) *Proc {
	tb.Helper()
	p := &Proc{Cmd: cmd, tb: tb, done: make(chan struct{})}
	if cmd.Stdout == nil {
		p.stdout = &sshtest.Buffer{}
		cmd.Stdout = p.stdout
	}
	if cmd.Stderr == nil {
		p.stderr = &sshtest.Buffer{}
		cmd.Stderr = p.stderr
	}
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = pipeDelay
	}
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", cmd, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	tb.Cleanup(p.Kill)
	return p
}

// Pid returns the process id, which is also its process group id.
func (p *Proc) Pid() int { return p.Cmd.Process.Pid }

// Done is closed once the process has exited and been reaped.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has exited and been reaped.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Err returns the error from exec.Cmd.Wait, or nil while it runs.
func (p *Proc) Err() error {
	if !p.Exited() {
		return nil
	}
	return p.err
}

// ExitCode returns the exit status, or -1 while the process runs or if a
// signal ended it.
func (p *Proc) ExitCode() int {
	if !p.Exited() {
		return -1
	}
	return p.Cmd.ProcessState.ExitCode()
}

// Wait waits up to timeout for the process to exit by itself and returns
// its exit code. On timeout it kills the process and calls tb.Fatalf.
func (p *Proc) Wait(tb TB, timeout time.Duration) int {
	tb.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-p.done:
		return p.ExitCode()
	case <-timer.C:
		p.Kill()
		tb.Fatalf("%s: still running after %v\nstderr:\n%s", p.Cmd, timeout, p.Stderr())
		return -1
	}
}

// Kill kills the process and everything it started that the harness can
// find, and waits until they are gone. It is safe to call more than once.
// It calls Fatalf on the TB given to Start if anything survives.
func (p *Proc) Kill() {
	p.killOnce.Do(func() {
		p.tb.Helper()
		descendants := killTree(p.Cmd.Process, !p.Exited())
		if err := waitReaped(p.done, descendants, reapTimeout); err != nil {
			p.tb.Fatalf("kill %s: %v", p.Cmd, err)
		}
	})
}

// Stdout returns what the process wrote to stdout so far, if Start
// captured it.
func (p *Proc) Stdout() string { return p.stdout.String() }

// Stderr returns what the process wrote to stderr so far, if Start
// captured it.
func (p *Proc) Stderr() string { return p.stderr.String() }

// Result is the outcome of Run.
type Result struct {
	Stdout, Stderr []byte
	// Code is the exit status, -1 if a signal ended the process.
	Code    int
	Elapsed time.Duration
}

// String formats the result for failure messages.
func (r Result) String() string {
	return fmt.Sprintf("exit %d after %v\nstdout:\n%s\nstderr:\n%s",
		r.Code, r.Elapsed.Round(time.Millisecond), r.Stdout, r.Stderr)
}

// Run runs cmd to completion in a new process group and returns its
// output and exit status; a non-zero status is not an error. If it has not
// finished within timeout, Run kills it and its descendants, reaps them
// and calls tb.Fatalf. Stdout and Stderr are captured unless the caller
// set them. Processes left behind in the group after it exits are killed.
func Run(tb TB, timeout time.Duration, cmd *exec.Cmd) Result {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	if cmd.Stdout == nil {
		cmd.Stdout = &stdout
	}
	if cmd.Stderr == nil {
		cmd.Stderr = &stderr
	}
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = pipeDelay
	}
	setProcessGroup(cmd)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", cmd, err)
	}
	done := make(chan struct{})
	var err error
	go func() {
		err = cmd.Wait()
		close(done)
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	timedOut := false
	select {
	case <-done:
	case <-timer.C:
		timedOut = true
	}
	// Kill the group even after a normal exit: anything still in it leaked.
	if !timedOut && groupAlive(cmd.Process) {
		tb.Logf("%s: killing processes it left running in its process group", cmd)
	}
	descendants := killTree(cmd.Process, timedOut)
	if werr := waitReaped(done, descendants, reapTimeout); werr != nil {
		tb.Fatalf("kill %s: %v", cmd, werr)
	}
	res := Result{
		Stdout:  stdout.Bytes(),
		Stderr:  stderr.Bytes(),
		Code:    cmd.ProcessState.ExitCode(),
		Elapsed: time.Since(start),
	}
	switch {
	case timedOut:
		tb.Fatalf("%s: timed out after %v; killed\n%s", cmd, timeout, res)
	case errors.Is(err, exec.ErrWaitDelay):
		tb.Fatalf("%s: exited but its stdout or stderr stayed open for %v (a process it started holds them)\n%s",
			cmd, cmd.WaitDelay, res)
	}
	return res
}

// waitReaped waits until done is closed and none of pids is still alive.
func waitReaped(done <-chan struct{}, pids []int, timeout time.Duration) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		return fmt.Errorf("not reaped %v after SIGKILL", timeout)
	}
	deadline := time.Now().Add(timeout)
	for {
		alive := alivePids(pids)
		if len(alive) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v still alive %v after SIGKILL", alive, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// StartPiped is Start with pipes to the process's stdin and from its
// stdout, for a conversation with it.
func StartPiped(tb TB, cmd *exec.Cmd) (*Proc, io.WriteCloser, io.ReadCloser) {
	tb.Helper()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatalf("stdin pipe: %v", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatalf("stdout pipe: %v", err)
	}
	return Start(tb, cmd), stdin, stdout
}
