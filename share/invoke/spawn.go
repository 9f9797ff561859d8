package invoke

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/hint"
)

// spawnWait bounds how long an invocation waits for a new master to log in.
const spawnWait = 90 * time.Second

// Starting is a master this invocation spawned whose login is under way.
// The invocation keeps the start-up lock until the login has finished, so
// invocations that come meanwhile wait and then share the result.
type Starting struct {
	// Warnings are the lines the master asked to show the user.
	Warnings []string
	// Warn shows the lines the master's login report asks to (a host key
	// it recorded, as ssh says so); nil drops them.
	Warn    func(string)
	report  *os.File
	release func() error
}

// SpawnMaster starts `exe args...` as a detached master, with env and the
// report pipe's fd (on Windows, an inherited handle: see hand) in
// control.ReadyFDEnv, and waits until it
// listens, or for why it could not start. The master gets no stdio of ours
// (it must never hold the caller's stdout or stderr, or `$(ssh host cmd)`
// would wait for it), only a private pipe for its reports: one when it
// listens, one when its login has finished. A non-nil stderr is lent to
// it for the login (control.StderrFDEnv), which it closes when the login
// has finished. environ, the invoking ssh's whole environment, goes on
// one more pipe (control.EnvFDEnv), for the commands the master runs;
// env is the master's own (MasterEnv).
func SpawnMaster(ctx context.Context, exe string, args, env, environ []string, stderr *os.File) (*Starting, error) {
	r, w, err := reportPipe()
	if err != nil {
		return nil, fmt.Errorf("start master: %w", err)
	}
	envR, envW, err := environPipe()
	if err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("start master: %w", err)
	}
	cmd := exec.Command(exe, args...)
	detach(cmd)
	handed := []*os.File{w}
	if stderr = lendable(stderr); stderr != nil {
		handed = append(handed, stderr)
	}
	handed = append(handed, envR)
	ids, err := hand(cmd, handed)
	if err == nil {
		cmd.Env = append(env, control.ReadyFDEnv+"="+ids[0])
		if stderr != nil {
			cmd.Env = append(cmd.Env, control.StderrFDEnv+"="+ids[1])
		}
		cmd.Env = append(cmd.Env, control.EnvFDEnv+"="+ids[len(ids)-1])
		err = start(cmd)
	}
	w.Close()
	envR.Close()
	if err != nil {
		r.Close()
		envW.Close()
		return nil, fmt.Errorf("start master: %w", err)
	}
	// The master reads it whole before anything else; a few kilobytes fit
	// in the pipe at once. Bounded all the same, and off this goroutine: a
	// master that never reads (one built before the pipe) must not stall
	// the report. A failed write shows as the master's start-up error.
	go func() {
		envW.SetWriteDeadline(time.Now().Add(spawnWait))
		WriteEnviron(envW, environ)
		envW.Close()
	}()
	go cmd.Wait() // reap it if it exits while we are still running
	reply, err := readReport(r, time.Now().Add(spawnWait))
	if err != nil {
		r.Close()
		return nil, err
	}
	return &Starting{report: r, Warnings: reply.Warnings}, nil
}

// Wait waits for the master's login to finish and returns its outcome.
func (s *Starting) Wait() error {
	defer s.report.Close()
	if s.release != nil {
		defer s.release()
	}
	reply, err := readReport(s.report, time.Now().Add(control.LoginWait))
	if s.Warn != nil {
		for _, w := range reply.Warnings {
			s.Warn(w)
		}
	}
	return err
}

// readReport reads one report frame from the master.
func readReport(r *os.File, deadline time.Time) (control.Reply, error) {
	r.SetReadDeadline(deadline)
	var reply control.Reply
	if err := control.ReadFrame(r, &reply); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return reply, errors.New("master exited during start-up; see its log")
		}
		return reply, fmt.Errorf("wait for master: %w", err)
	}
	if !reply.OK {
		return reply, &hint.Error{Err: errors.New(reply.Error), Fix: reply.Hint}
	}
	return reply, nil
}
