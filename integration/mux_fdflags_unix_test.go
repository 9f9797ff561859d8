//go:build unix

package integration

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestMuxFdFlags: the mux door may make the descriptors ssh passes it
// non-blocking, but they share their open file descriptions with the
// caller's pipeline, so it must give them back blocking: a shell's next
// command reading the same pipe would fail with EAGAIN otherwise.
func TestMuxFdFlags(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{})
	before := e.warm(t)
	stdinR, stdinW := muxPipe(t)
	_, stdoutW := muxPipe(t)
	stdinW.Close()
	cmd := e.c.SSH(shareHost, "cat; echo done")
	cmd.Stdin, cmd.Stdout = stdinR, stdoutW
	res := harness.Run(t, sshTimeout, cmd)
	if res.Code != 0 || len(res.Stderr) != 0 {
		t.Fatalf("ssh %s 'cat; echo done' with pipes: %s; want exit 0 and no stderr", shareHost, res)
	}
	e.wantServed(t, before, 1, "the ssh with pipes")
	for _, f := range []*os.File{stdinR, stdoutW} {
		if muxNonblocking(t, f) {
			t.Errorf("%s: O_NONBLOCK left on the pipe after ssh exited; want it as ssh got it (blocking)", f.Name())
		}
	}
}

// muxPipe returns a pipe whose ends are blocking, as a shell's are, and
// closes them when the test ends.
func muxPipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	// Fd puts a file in blocking mode, as exec.Cmd does for the child's.
	r.Fd()
	w.Fd()
	return r, w
}

// muxNonblocking reports whether the open file description of f has
// O_NONBLOCK, without changing it (f.Fd would clear it).
func muxNonblocking(t *testing.T, f *os.File) bool {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var flags int
	var ferr error
	if err := rc.Control(func(fd uintptr) { flags, ferr = unix.FcntlInt(fd, unix.F_GETFL, 0) }); err != nil {
		t.Fatal(err)
	}
	if ferr != nil {
		t.Fatalf("fcntl %s: %v", f.Name(), ferr)
	}
	return flags&unix.O_NONBLOCK != 0
}
