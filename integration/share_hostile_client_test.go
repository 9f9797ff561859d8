//go:build linux

package integration

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/sysio"
	"golang.org/x/sys/unix"
)

// TestShareHostileClientCannotFreezeMaster (issue 17 item 7): a same-uid
// client hands over a pipe, then clears O_NONBLOCK on its own copy (the
// same open file description, before the fix) and sends a version line
// but no KEXINIT. The master's next read of that pipe must not block its
// only processor: another ssh is served at once. Before, the master froze
// until the client let go (the review measured 8 s for a new ssh).
func TestShareHostileClientCannotFreezeMaster(t *testing.T) {
	e := newShareEnv(t, harness.SSHDOptions{})
	first := e.c.SSH(shareHost, "true")
	first.Env = append(first.Env, "GOMAXPROCS=1") // the master inherits it: one processor, as on a small machine
	if res := harness.Run(t, sshTimeout, first); res.Code != 0 {
		t.Fatalf("ssh %s true: %s; want exit 0", shareHost, res)
	}
	m := e.master(t)

	conn, err := control.Dial(m.Socket, control.Hello{Version: control.ProtocolVersion, Op: control.OpShare, Stdio: true})
	if err != nil {
		t.Fatalf("share hello: %v", err)
	}
	defer conn.Close()
	mc, ok := conn.(*control.Conn)
	if !ok || !mc.Stdio {
		t.Fatalf("share hello: got %T without stdio; want the master to take the pipes", conn)
	}
	inR, inW := pipe(t)   // the master reads inR; the client writes inW
	outR, outW := pipe(t) // the master writes outW; the client reads outR
	if err := sysio.SendStdio(mc.Conn, dupFile(t, inR), dupFile(t, outW)); err != nil {
		t.Fatal(err)
	}
	outR.SetReadDeadline(time.Now().Add(10 * time.Second))
	line := make([]byte, 64)
	if n, err := outR.Read(line); err != nil || !bytes.HasPrefix(line[:n], []byte("SSH-2.0-")) {
		t.Fatalf("master's version line: got %q, %v", line[:n], err)
	}
	// The attack: make the shared description blocking, then give the
	// master something to read, and no more.
	if err := setBlocking(inR); err != nil {
		t.Fatal(err)
	}
	inW.Write([]byte("SSH-2.0-OpenSSH_9.2\r\n"))
	time.Sleep(200 * time.Millisecond)

	start := time.Now()
	second := harness.Start(t, e.c.SSH(shareHost, "echo", "served"))
	select {
	case <-second.Done():
	case <-time.After(15 * time.Second):
	}
	took := time.Since(start)
	inW.Close() // lets a frozen master go on
	if code := second.Wait(t, sshTimeout); code != 0 || !strings.Contains(second.Stdout(), "served") {
		t.Fatalf("second ssh: exit %d, stdout %q, stderr %q; want exit 0 and \"served\"", code, second.Stdout(), second.Stderr())
	}
	if took > 5*time.Second {
		t.Errorf("second ssh took %v while a client held a blocking pipe; want well under 5 s (the master froze)", took.Round(time.Millisecond))
	}
	t.Logf("second ssh served in %v", took.Round(time.Millisecond))
}

// pipe returns a pipe whose ends the test closes at its end.
func pipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// dupFile is a copy of f's descriptor, with the same open file
// description, for SendStdio to send and then release.
func dupFile(t *testing.T, f *os.File) *os.File {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	fd := -1
	rc.Control(func(u uintptr) { fd, err = unix.Dup(int(u)) })
	if err != nil {
		t.Fatal(err)
	}
	d := os.NewFile(uintptr(fd), f.Name())
	t.Cleanup(func() { d.Close() })
	return d
}

// setBlocking clears O_NONBLOCK on f's open file description.
func setBlocking(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.SetNonblock(int(fd), false) }); err != nil {
		return err
	}
	return serr
}
