//go:build unix

package share

import (
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/control"
)

// TestMasterAcceptsAfterRunningOutOfDescriptors (issue 17 item 8): a
// flood of connections that runs the master out of descriptors makes
// Accept fail with EMFILE; once they have gone, the master answers again
// (before, its accept loop had ended for good, and status and new ssh
// hung).
func TestMasterAcceptsAfterRunningOutOfDescriptors(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("count open descriptors: %v", err)
	}
	low := lim
	low.Cur = uint64(len(entries) + 16)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Skipf("lower RLIMIT_NOFILE: %v", err)
	}
	restored := false
	restore := func() {
		if !restored {
			syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
			restored = true
		}
	}
	defer restore()
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 64 { // dial until this process is out of descriptors
		c, err := net.Dial("unix", f.socket)
		if err != nil {
			break
		}
		conns = append(conns, c)
	}
	if len(conns) == 0 || len(conns) == 64 {
		restore()
		t.Fatalf("dialled %d connections under a limit of %d descriptors; want the limit reached", len(conns), low.Cur)
	}
	// Free one descriptor and take it with one more connection: the
	// master's Accept of it finds none left.
	conns[0].Close()
	if c, err := net.Dial("unix", f.socket); err == nil {
		conns[0] = c
	}
	time.Sleep(100 * time.Millisecond)
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	restore()
	done := make(chan error, 1)
	go func() {
		reply, err := control.Query(f.m.cfg.StateDir, f.socket, control.Hello{Op: control.OpStatus})
		if err == nil && reply.Status == nil {
			err = fmt.Errorf("reply without status: %+v", reply)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("status after the flood: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("status after the flood: no answer within 5 s; the master stopped accepting")
	}
}
