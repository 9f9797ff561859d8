package sysio

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

// pipeClientEnv tells the test binary, run again as a subprocess, to be
// TestPipeClient: an invocation of its own, in a process of its own.
const pipeClientEnv = "SSHSHARE_TEST_PIPE_CLIENT"

// pipeUp and pipeDown are what the client and the master send: large
// enough for several frames and full pipe buffers, with every byte value.
var (
	pipeUp   = pattern(3<<20+17, 7)
	pipeDown = pattern(2<<20+5, 13)
)

// pattern is n bytes counting by step.
func pattern(n int, step byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i) * step
	}
	return b
}

// publishMarker listens for a master at dir/name and publishes its marker
// as share.publish does.
func publishMarker(t *testing.T, dir string) (net.Listener, string) {
	t.Helper()
	path := filepath.Join(dir, "m")
	ln, err := Listen(path + ".tmp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
	return ln, path
}

// TestPipeClient is the invocation's side of TestPipeRoundTrip, run in a
// subprocess: it dials the master, sends pipeUp and its EOF, and expects
// pipeDown and then EOF.
func TestPipeClient(t *testing.T) {
	path := os.Getenv(pipeClientEnv)
	if path == "" {
		t.Skip("run by TestPipeRoundTrip")
	}
	conn, err := DialMaster(path, 5*time.Second)
	if err != nil {
		t.Fatalf("DialMaster: %v", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	sent := make(chan error, 1)
	go func() {
		_, err := conn.Write(pipeUp)
		sent <- errors.Join(err, conn.(*pipeConn).CloseWrite())
	}()
	got, err := io.ReadAll(conn)
	if err != nil || !bytes.Equal(got, pipeDown) {
		t.Errorf("from the master: %d bytes, %v; want %d bytes equal to pipeDown", len(got), err, len(pipeDown))
	}
	if err := <-sent; err != nil {
		t.Errorf("to the master: %v", err)
	}
}

// TestPipeRoundTrip: a master listening on a pipe and an invocation in
// another process connect through the marker, each admits the other by
// its user SID, and bytes flow both ways at once, each direction ended on
// its own (CloseWrite) while the other goes on.
func TestPipeRoundTrip(t *testing.T) {
	ln, path := publishMarker(t, t.TempDir())
	cmd := exec.Command(os.Args[0], "-test.run=^TestPipeClient$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), pipeClientEnv+"="+path)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	conn := acceptWithin(t, ln, 30*time.Second)
	defer conn.Close()
	if err := CheckPeer(conn); err != nil {
		t.Fatalf("CheckPeer of our own client: %v", err)
	}
	if pid, err := PeerPID(conn); err != nil || pid != cmd.Process.Pid {
		t.Errorf("PeerPID: %d, %v; want the client's %d", pid, err, cmd.Process.Pid)
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	got, err := io.ReadAll(conn) // ends at the client's CloseWrite, before we write
	if err != nil || sha256.Sum256(got) != sha256.Sum256(pipeUp) {
		t.Fatalf("from the client: %d bytes, %v; want %d bytes equal to pipeUp", len(got), err, len(pipeUp))
	}
	if _, err := conn.Write(pipeDown); err != nil {
		t.Fatalf("to the client: %v", err)
	}
	conn.Close() // the client reads what was written, then EOF
	if err := waitWithin(cmd, 30*time.Second); err != nil {
		t.Fatalf("client: %v\n%s", err, out.String())
	}
}

// acceptWithin accepts one connection on ln, or fails after wait.
func acceptWithin(t *testing.T, ln net.Listener, wait time.Duration) net.Conn {
	t.Helper()
	type accepted struct {
		c   net.Conn
		err error
	}
	ch := make(chan accepted, 1)
	go func() {
		c, err := ln.Accept()
		ch <- accepted{c, err}
	}()
	select {
	case a := <-ch:
		if a.err != nil {
			t.Fatalf("Accept: %v", a.err)
		}
		return a.c
	case <-time.After(wait):
		t.Fatalf("no client in %v", wait)
	}
	return nil
}

// waitWithin waits for cmd, for at most wait.
func waitWithin(cmd *exec.Cmd, wait time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(wait):
		cmd.Process.Kill()
		return fmt.Errorf("still running after %v", wait)
	}
}

// dialPair connects to the master at path from this process and returns
// both ends.
func dialPair(t *testing.T, ln net.Listener, path string) (client, server net.Conn, dialErr error) {
	t.Helper()
	type dialed struct {
		c   net.Conn
		err error
	}
	ch := make(chan dialed, 1)
	go func() {
		c, err := DialMaster(path, 5*time.Second)
		ch <- dialed{c, err}
	}()
	server = acceptWithin(t, ln, 10*time.Second)
	t.Cleanup(func() { server.Close() })
	d := <-ch
	if d.c != nil {
		t.Cleanup(func() { d.c.Close() })
	}
	return d.c, server, d.err
}

// otherUser makes ownSID another user's for one test: the peer, this
// process, is then of someone else (Wine gives every process one SID, so
// this is the only way to see the refusals under it).
func otherUser(t *testing.T) {
	t.Helper()
	other, err := windows.StringToSid("S-1-5-21-1-2-3-1001")
	if err != nil {
		t.Fatal(err)
	}
	old := ownSID
	ownSID = func() (*windows.SID, error) { return other, nil }
	t.Cleanup(func() { ownSID = old })
}

// TestPipeRefusesOtherUser: a client of another user is refused by the
// master, and a master of another user by the client, before it has sent
// a byte.
func TestPipeRefusesOtherUser(t *testing.T) {
	ln, path := publishMarker(t, t.TempDir())
	otherUser(t)
	_, server, err := dialPair(t, ln, path)
	var se *SocketError
	if !errors.As(err, &se) || !strings.Contains(se.Problem, "not by you") {
		t.Errorf("DialMaster to another user's master: %v; want a *SocketError saying it is not yours", err)
	}
	if err := CheckPeer(server); err == nil || !strings.Contains(err.Error(), "not as the owner") {
		t.Errorf("CheckPeer of another user's client: %v; want a refusal", err)
	}
}

// TestPipeSquatted: a pipe name someone created first makes listening
// fail, with an error that says so in one line.
func TestPipeSquatted(t *testing.T) {
	self, err := ownSID()
	if err != nil {
		t.Fatal(err)
	}
	name, err := pipeName(self, `C:\x\m`)
	if err != nil {
		t.Fatal(err)
	}
	squat, err := createPipe(name, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	defer windows.CloseHandle(squat)
	ln, err := listenPipe(name, self)
	if err == nil {
		ln.Close()
		t.Fatal("listened on a squatted pipe; want an error")
	}
	if !errors.Is(err, ErrPipeTaken) || strings.Contains(err.Error(), "\n") {
		t.Errorf("listen on a squatted pipe: %q; want one line wrapping ErrPipeTaken", err)
	}
	t.Logf("squatted: %v", err)
}

// TestPipeDeadline: a read with nothing to read ends at its deadline, a
// write goes on meanwhile, and the connection works afterwards.
func TestPipeDeadline(t *testing.T) {
	ln, path := publishMarker(t, t.TempDir())
	client, server, err := dialPair(t, ln, path)
	if err != nil {
		t.Fatal(err)
	}
	client.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	read := make(chan error, 1)
	go func() {
		_, err := client.Read(make([]byte, 1))
		read <- err
	}()
	if _, err := client.Write([]byte("while reading")); err != nil {
		t.Fatalf("write during a read: %v", err)
	}
	select {
	case err := <-read:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("read past its deadline: %v; want os.ErrDeadlineExceeded", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the read outlived its deadline")
	}
	buf := make([]byte, 13)
	server.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(server, buf); err != nil || string(buf) != "while reading" {
		t.Errorf("server read %q, %v; want the client's write", buf, err)
	}
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	server.Write([]byte("k"))
	if n, err := client.Read(buf); err != nil || string(buf[:n]) != "k" {
		t.Errorf("read after the deadline moved: %q, %v; want k", buf[:n], err)
	}
}

// TestPipeProbeAndStale: a marker whose master listens is live; once the
// master has gone, its pipe with it, the marker is stale and a dial says
// connection refused, so the registry cleans it up as a dead socket.
func TestPipeProbeAndStale(t *testing.T) {
	ln, path := publishMarker(t, t.TempDir())
	if got := ProbeSocket(path); got != SocketLive {
		t.Errorf("ProbeSocket of a live master: %v; want SocketLive", got)
	}
	ln.Close()
	if got := ProbeSocket(path); got != SocketStale {
		t.Errorf("ProbeSocket after the master left: %v; want SocketStale", got)
	}
	if _, err := DialMaster(path, time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("DialMaster after the master left: %v; want connection refused", err)
	}
}

// TestPipeMarkerRefused: a marker that names anything but an sshshare pipe
// is refused unread: a UNC path would send the user's credentials away.
func TestPipeMarkerRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m")
	if err := os.WriteFile(path, []byte(`\\evil\share\x`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := DialMaster(path, time.Second)
	var se *SocketError
	if !errors.As(err, &se) {
		t.Errorf("DialMaster with a marker naming a share: %v; want a *SocketError", err)
	}
}

// TestPipeManyClients: clients dialling at once are all accepted, the
// first included (go-winio's listener loses it under Wine), each
// answered on its own connection.
func TestPipeManyClients(t *testing.T) {
	ln, path := publishMarker(t, t.TempDir())
	const clients = 16
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				io.Copy(c, c) // echo until the client's CloseWrite
			}()
		}
	}()
	errs := make(chan error, clients)
	for i := range clients {
		go func() { errs <- echoOnce(path, fmt.Sprintf("client %d", i)) }()
	}
	for range clients {
		select {
		case err := <-errs:
			if err != nil {
				t.Error(err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("a client got no answer in 30 s")
		}
	}
}

// echoOnce sends msg to the echoing master at path and checks it comes
// back, then EOF.
func echoOnce(path, msg string) error {
	c, err := DialMaster(path, 10*time.Second)
	if err != nil {
		return fmt.Errorf("%s: dial: %w", msg, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, msg); err != nil {
		return fmt.Errorf("%s: write: %w", msg, err)
	}
	if err := c.(*pipeConn).CloseWrite(); err != nil {
		return fmt.Errorf("%s: close write: %w", msg, err)
	}
	got, err := io.ReadAll(c)
	if err != nil || string(got) != msg {
		return fmt.Errorf("%s: echo %q, %v; want it back, then EOF", msg, got, err)
	}
	return nil
}
