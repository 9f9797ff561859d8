package invoke

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/control/controltest"
	"github.com/sshshare/sshshare/share/sshtest"
	"github.com/sshshare/sshshare/share/sysio"
)

// TestConnectStartsMasterBesideOtherVersion: a master of another protocol
// version at the socket (here one from before replies carried a version,
// which refuses with a bare error) does not fail the invocation: its
// socket is moved aside, with its registry entry, and a master of this
// version is started on the path.
func TestConnectStartsMasterBesideOtherVersion(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply control.Reply
	}{
		{"protocol 1 master", control.Reply{Error: "control protocol version 1, want 7"}},
		{"versioned master", control.Reply{Version: 7, Retry: true, Error: "control protocol version 1, want 7"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, err := os.MkdirTemp("", "skew")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(dir) })
			socket, state := filepath.Join(dir, "m"), filepath.Join(dir, "state")
			controltest.AnswerAll(t, socket, tc.reply)
			if err := control.Register(state, socket); err != nil {
				t.Fatal(err)
			}
			inv := &Invocation{Socket: socket, StateDir: state, Log: sshtest.DiscardLogger(), LockWait: time.Second,
				Spawn: func(context.Context) (*Starting, error) { return fakeSpawn(t, socket) }}

			conn, starting, err := inv.connect(context.Background(), false)
			if err != nil {
				t.Fatalf("Connect: %v; want a fresh master", err)
			}
			conn.Close()
			if starting == nil || starting.Wait() != nil {
				t.Fatalf("Connect: starting %v; want the spawned master's login", starting)
			}
			registered, err := control.RegisteredSockets(state)
			if err != nil || len(registered) != 1 || registered[0] == socket {
				t.Fatalf("registry: %v, %v; want the old master under its new name", registered, err)
			}
			moved := registered[0]
			if got := sysio.ProbeSocket(moved); got != sysio.SocketLive {
				t.Fatalf("old master at %s: %v; want it still reachable", moved, got)
			}
		})
	}
}

// fakeSpawn plays a master of this version starting at socket: it fails
// the test if the socket is still taken, answers one share hello with OK,
// and reports a finished login.
func fakeSpawn(t *testing.T, socket string) (*Starting, error) {
	if _, err := os.Lstat(socket); err == nil {
		t.Errorf("spawn: %s still taken by the old master", socket)
		return nil, os.ErrExist
	}
	controltest.FakeMaster(t, socket, control.Reply{OK: true, Pid: 1})
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	control.WriteReply(w, control.Reply{OK: true})
	w.Close()
	return &Starting{report: r}, nil
}
