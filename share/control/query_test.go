package control_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/control/controltest"
	"github.com/sshshare/sshshare/share/sshtest"
)

func TestQueryStatusForgetsOthers(t *testing.T) {
	state := t.TempDir()
	sock := filepath.Join(state, "m.sock")
	hellos := controltest.FakeMaster(t, sock, control.Reply{OK: true, Status: &control.Status{Pid: control.OtherPid, Target: "bob@host:22"}})
	if err := control.Register(state, sock); err != nil { // an earlier master's leftover
		t.Fatal(err)
	}
	control.RegisterAs(t, state, sock, control.OtherPid)

	reply, err := control.Query(state, sock, control.Hello{Op: control.OpStatus})
	if err != nil {
		t.Fatalf("control.Query: %v", err)
	}
	if reply.Status == nil || reply.Status.Target != "bob@host:22" {
		t.Errorf("reply: got %+v; want the master's status", reply)
	}
	if h := <-hellos; h.Version != control.ProtocolVersion || h.Op != control.OpStatus {
		t.Errorf("hello: got %+v; want version %d op %s", h, control.ProtocolVersion, control.OpStatus)
	}
	if _, err := os.Stat(control.RegistryEntry(state, sock, os.Getpid())); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("leftover entry: got stat error %v; want it removed", err)
	}
	if _, err := os.Stat(control.RegistryEntry(state, sock, control.OtherPid)); err != nil {
		t.Errorf("live master's entry: %v", err)
	}
}

func TestQueryRefused(t *testing.T) {
	state := t.TempDir()
	sock := filepath.Join(state, "m.sock")
	controltest.FakeMaster(t, sock, control.Reply{Error: "not now"})
	_, err := control.Query(state, sock, control.Hello{Op: control.OpStop})
	if err == nil || !strings.Contains(err.Error(), "not now") || errors.Is(err, control.ErrStale) {
		t.Errorf("got %v; want the master's error, not control.ErrStale", err)
	}
}

// TestQueryRefusesOpenDir: status and stop check the socket's directory
// before sending anything, as the invocation does: a master planted in a
// directory others can write gets no hello, and its socket is left alone.
func TestQueryRefusesOpenDir(t *testing.T) {
	sshtest.NeedsModes(t)
	state := t.TempDir()
	dir := filepath.Join(state, "open")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "m.sock")
	hellos := controltest.FakeMaster(t, sock, control.Reply{OK: true})
	for _, op := range []string{control.OpStatus, control.OpStop} {
		_, err := control.Query(state, sock, control.Hello{Op: op})
		if err == nil || !strings.Contains(err.Error(), "writable by group or others") {
			t.Errorf("%s: got %v; want the open directory refused", op, err)
		}
	}
	select {
	case h := <-hellos:
		t.Errorf("the planted master got a hello: %+v", h)
	default:
	}
	if _, err := os.Lstat(sock); err != nil {
		t.Errorf("planted socket: %v; want it left for its owner to see", err)
	}
}
