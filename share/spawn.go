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

// SpawnMaster starts `exe args...` as a detached master and waits for it to
// report that it listens, or why it could not start. The master gets no
// stdio of ours (it must never hold the caller's stdout or stderr, or
// `$(ssh host cmd)` would wait for it), only a private pipe for the report.
func SpawnMaster(ctx context.Context, exe string, args []string) error {
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("start master: %w", err)
	}
	defer r.Close()
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), ReadyFDEnv+"=3")
	cmd.ExtraFiles = []*os.File{w}
	detach(cmd)
	err = cmd.Start()
	w.Close()
	if err != nil {
		return fmt.Errorf("start master: %w", err)
	}
	go cmd.Wait() // reap it if it exits while we are still running
	return awaitReady(ctx, r)
}

// awaitReady reads the master's start-up report.
func awaitReady(ctx context.Context, r *os.File) error {
	deadline := time.Now().Add(spawnWait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
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

// ReportReady tells the invocation that spawned this master whether it
// started, on the descriptor named by ReadyFDEnv, and closes it. A master
// started by hand has no such descriptor and reports nothing.
func ReportReady(startErr error) {
	if os.Getenv(ReadyFDEnv) != "3" {
		return
	}
	f := os.NewFile(3, "ready")
	if f == nil {
		return
	}
	defer f.Close()
	reply := Reply{OK: startErr == nil}
	if startErr != nil {
		reply.Error, reply.Hint = startErr.Error(), Hint(startErr)
	}
	writeFrame(f, reply)
}
