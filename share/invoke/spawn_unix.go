//go:build unix

package invoke

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// detach puts the master in a session of its own, away from the terminal
// and process group of the ssh that started it.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}

// hand gives files to the master as descriptors 3, 4, ... and returns
// their numbers, for the environment variables that name them.
func hand(cmd *exec.Cmd, files []*os.File) ([]string, error) {
	cmd.ExtraFiles = files
	ids := make([]string, len(files))
	for i := range files {
		ids[i] = strconv.Itoa(3 + i)
	}
	return ids, nil
}

// reportPipe is the pipe a master reports its start-up on: the
// invocation reads r, with deadlines (see readReport); the master gets w.
func reportPipe() (r, w *os.File, err error) { return os.Pipe() }

// environPipe is the pipe the invocation writes ssh's environment on: the
// master gets r; the invocation writes w, with a deadline.
func environPipe() (r, w *os.File, err error) { return os.Pipe() }

// lendable is the stderr to lend the master, or nil: any will do here.
func lendable(stderr *os.File) *os.File { return stderr }

// start starts cmd.
func start(cmd *exec.Cmd) error { return cmd.Start() }
