package share

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
)

// ReadyFDEnv names the environment variable that tells a master which file
// descriptor to report its start-up result on.
const ReadyFDEnv = "SSHSHARE_READY_FD"

// spawnWait bounds how long an invocation waits for a new master to log in.
const spawnWait = 90 * time.Second

// Starting is a master this invocation spawned whose login is under way.
// The invocation keeps the start-up lock until the login has finished, so
// invocations that come meanwhile wait and then share the result.
type Starting struct {
	report  *os.File
	release func() error
}

// SpawnMaster starts `exe args...` as a detached master and waits until it
// listens, or for why it could not start. The master gets no stdio of ours
// (it must never hold the caller's stdout or stderr, or `$(ssh host cmd)`
// would wait for it), only a private pipe for its reports: one when it
// listens, one when its login has finished.
func SpawnMaster(ctx context.Context, exe string, args []string) (*Starting, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start master: %w", err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), ReadyFDEnv+"=3")
	cmd.ExtraFiles = []*os.File{w}
	detach(cmd)
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("start master: %w", err)
	}
	go cmd.Wait() // reap it if it exits while we are still running
	if err := readReport(r, time.Now().Add(spawnWait)); err != nil {
		r.Close()
		return nil, err
	}
	return &Starting{report: r}, nil
}

// loginWait bounds how long an invocation waits for a login that asks the
// user questions.
const loginWait = 10 * time.Minute

// Wait waits for the master's login to finish and returns its outcome.
func (s *Starting) Wait() error {
	defer s.report.Close()
	if s.release != nil {
		defer s.release()
	}
	return readReport(s.report, time.Now().Add(loginWait))
}

// readReport reads one report frame from the master.
func readReport(r *os.File, deadline time.Time) error {
	r.SetReadDeadline(deadline)
	var reply Reply
	if err := readFrame(r, &reply); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return errors.New("master exited during start-up; see its log")
		}
		return fmt.Errorf("wait for master: %w", err)
	}
	if !reply.OK {
		return &HintError{Err: errors.New(reply.Error), Fix: reply.Hint}
	}
	return nil
}

// ReadyPipe carries a spawned master's reports to its invocation.
type ReadyPipe struct{ f *os.File }

// OpenReadyPipe returns the report pipe named by ReadyFDEnv, or nil for a
// master started without one.
func OpenReadyPipe() *ReadyPipe {
	if os.Getenv(ReadyFDEnv) != "3" {
		return nil
	}
	os.Unsetenv(ReadyFDEnv) // not for ssh -G or anything else we run
	if f := os.NewFile(3, "ready"); f != nil {
		return &ReadyPipe{f: f}
	}
	return nil
}

// Report sends one report: nil means success.
func (p *ReadyPipe) Report(err error) {
	if p == nil {
		return
	}
	reply := Reply{OK: err == nil}
	if err != nil {
		reply.Error, reply.Hint = err.Error(), Hint(err)
	}
	writeFrame(p.f, reply)
}

// Close closes the pipe; the invocation sees EOF.
func (p *ReadyPipe) Close() {
	if p != nil {
		p.f.Close()
	}
}
