//go:build unix

package invoke

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/control/controltest"
	"github.com/sshshare/sshshare/share/sshtest"
	"github.com/sshshare/sshshare/share/sysio"
)

// fakeShareMaster accepts one share connection on a socket in a temporary
// directory, answers it with reply, and hands the connection to serve. It
// returns the invocation that reaches it and the hello it will receive.
func fakeShareMaster(t *testing.T, reply control.Reply, serve func(net.Conn, control.Hello)) (*Invocation, <-chan control.Hello) {
	t.Helper()
	socket := filepath.Join(t.TempDir(), "m")
	hellos := controltest.FakeMaster(t, socket, reply, serve)
	inv := &Invocation{Socket: socket, StateDir: t.TempDir(), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		LockWait: time.Second}
	return inv, hellos
}

// echoGot reads five bytes from r and answers "got " and them on w, as
// the fake master's side of converse.
func echoGot(t *testing.T, r io.Reader, w io.Writer) {
	line := make([]byte, 5)
	if _, err := io.ReadFull(r, line); err != nil {
		t.Errorf("read from ssh: %v", err)
	}
	w.Write(append([]byte("got "), line...))
}

// converse runs inv with the invocation's ends of the pipes, plays ssh on
// the others (sends "hello", expects "got hello") and returns Run's
// outcome to come.
func converse(t *testing.T, inv *Invocation, in, sshIn, out, sshOut *os.File) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- inv.Run(context.Background(), in, out) }()
	sshIn.Write([]byte("hello"))
	got := make([]byte, 9)
	if _, err := io.ReadFull(sshOut, got); err != nil || string(got) != "got hello" {
		t.Fatalf("ssh read %q, %v; want %q", got, err, "got hello")
	}
	return done
}

func TestRunHandsOverStdio(t *testing.T) {
	in, sshIn, out, sshOut := sshtest.PipePair(t)
	inv, hellos := fakeShareMaster(t, control.Reply{OK: true, Stdio: true}, func(conn net.Conn, _ control.Hello) {
		sc, err := sysio.RecvStdio(conn)
		if err != nil {
			t.Errorf("recvStdio: %v", err)
			return
		}
		defer sc.Close()
		echoGot(t, sc, sc)
	})
	done := converse(t, inv, in, sshIn, out, sshOut)
	if !(<-hellos).Stdio {
		t.Error("hello did not offer stdio for two pipes")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after the master closed")
	}
	// The invocation let go of its copies: with the master gone, ssh sees
	// the end of the connection.
	sshOut.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := sshOut.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("after the master closed: read %d bytes, %v; want EOF", n, err)
	}
}

func TestRunRelaysWhenMasterDeclinesStdio(t *testing.T) {
	in, sshIn, out, sshOut := sshtest.PipePair(t)
	inv, _ := fakeShareMaster(t, control.Reply{OK: true}, func(conn net.Conn, _ control.Hello) { echoGot(t, conn, conn) })
	done := converse(t, inv, in, sshIn, out, sshOut)
	sshIn.Close()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestRunRelaysNonPipes(t *testing.T) {
	inv, hellos := fakeShareMaster(t, control.Reply{OK: true}, func(conn net.Conn, _ control.Hello) { io.Copy(conn, conn) })
	var out bytes.Buffer
	if err := inv.Run(context.Background(), bytes.NewReader([]byte("echo")), &out); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if (<-hellos).Stdio {
		t.Error("hello offered stdio for a buffer")
	}
	if out.String() != "echo" {
		t.Errorf("relayed %q; want %q", out.String(), "echo")
	}
}
