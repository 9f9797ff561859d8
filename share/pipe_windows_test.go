package share

import (
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/invoke"
	"github.com/sshshare/sshshare/share/sshtest"
	"golang.org/x/crypto/ssh"
)

// invocationEnv tells the test binary, run again as a subprocess, to be
// TestInvocationProcess, relaying to the master at the socket it names.
const invocationEnv = "SSHSHARE_TEST_INVOCATION"

// TestInvocationProcess is the invocation of TestShareOverPipe, in a
// process of its own: it asks the master to share and relays its stdio to
// it, as sshshare does on Windows, where stdio cannot be handed over.
func TestInvocationProcess(t *testing.T) {
	socket := os.Getenv(invocationEnv)
	if socket == "" {
		t.Skip("run by TestShareOverPipe")
	}
	stdout := os.Stdout
	os.Stdout = os.Stderr // stdout carries SSH only, not the test's verdict
	conn, err := control.Dial(socket, control.Hello{Version: control.ProtocolVersion, Op: control.OpShare})
	if err != nil {
		t.Fatalf("dial the master: %v", err)
	}
	defer conn.Close()
	if err := invoke.Splice(conn, os.Stdin, stdout); err != nil {
		t.Fatalf("relay: %v", err)
	}
}

// TestShareOverPipe: on Windows a local ssh reaches the master through an
// invocation in another process, over the master's named pipe: commands
// run, a megabyte goes each way byte for byte, and when ssh closes its
// end the invocation's EOF reaches the master, which ends the connection,
// and the invocation exits.
func TestShareOverPipe(t *testing.T) {
	f := startMaster(t, newFakeUpstream(t))
	cmd := exec.Command(os.Args[0], "-test.run=^TestInvocationProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), invocationEnv+"="+f.socket)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})

	cfg := &ssh.ClientConfig{User: "test", HostKeyCallback: f.m.keys.HostKeyCallback(), Timeout: 20 * time.Second}
	c, chans, reqs, err := ssh.NewClientConn(&stdioPair{r: out, w: in}, "upstream.test:22", cfg)
	if err != nil {
		t.Fatalf("ssh through the invocation: %v\n%s", err, stderr.String())
	}
	client := ssh.NewClient(c, chans, reqs)
	mustRun(t, client, "hi", "hi\n")
	data := bytes.Repeat([]byte("0123456789abcdef\r\n\x00\xff"), 1<<20/20)
	s, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	s.Stdin = bytes.NewReader(data)
	got, err := s.Output("cat")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("cat of %d bytes: got %d bytes, %v; want them back", len(data), len(got), err)
	}
	client.Close()
	closed := time.Now()
	sshtest.RecvWithin(t, exited, 10*time.Second, "the invocation to exit after ssh closed")
	if waitErr != nil {
		t.Fatalf("invocation: %v\n%s", waitErr, stderr.String())
	}
	// Had the EOF not reached the master, only the invocation's linger
	// (2 s, see invoke.Splice) would have ended it.
	if took := time.Since(closed); took >= 2*time.Second {
		t.Errorf("the invocation exited %v after ssh closed; want the master's end at once", took)
	} else {
		t.Logf("the invocation exited %v after ssh closed", took.Round(time.Millisecond))
	}
}

// stdioPair is ssh's end of an invocation's stdin and stdout as a
// net.Conn; Close closes the invocation's stdin, as ssh does.
type stdioPair struct {
	r io.Reader
	w io.WriteCloser
}

func (p *stdioPair) Read(b []byte) (int, error)       { return p.r.Read(b) }
func (p *stdioPair) Write(b []byte) (int, error)      { return p.w.Write(b) }
func (p *stdioPair) Close() error                     { return p.w.Close() }
func (p *stdioPair) LocalAddr() net.Addr              { return stdioPairAddr{} }
func (p *stdioPair) RemoteAddr() net.Addr             { return stdioPairAddr{} }
func (p *stdioPair) SetDeadline(time.Time) error      { return nil }
func (p *stdioPair) SetReadDeadline(time.Time) error  { return nil }
func (p *stdioPair) SetWriteDeadline(time.Time) error { return nil }

// stdioPairAddr is a stdioPair's address.
type stdioPairAddr struct{}

func (stdioPairAddr) Network() string { return "pipe" }
func (stdioPairAddr) String() string  { return "invocation" }
