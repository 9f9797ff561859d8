package share

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/sshtest"
	"github.com/sshshare/sshshare/share/upstream"
	"golang.org/x/crypto/ssh"
)

// masterFixture is a real *Master started in-process against a
// fakeUpstream, serving on a socket in a temporary directory.
type masterFixture struct {
	m      *Master
	srv    *fakeUpstream
	socket string
	served chan error // Serve's return
}

// masterOption adjusts a test master's config before it starts.
type masterOption func(*MasterConfig, *upstream.HostConfig)

// withPersist sets the master's idle window.
func withPersist(d time.Duration) masterOption {
	return func(c *MasterConfig, _ *upstream.HostConfig) { c.Persist = d }
}

// startMaster starts a master on srv and waits for its login unless the
// server holds logins (authGate). The test's cleanup stops it and waits
// for Serve to return.
func startMaster(t *testing.T, srv *fakeUpstream, opts ...masterOption) *masterFixture {
	t.Helper()
	// A Unix socket path must fit in about 100 bytes; t.TempDir's may not.
	dir, err := os.MkdirTemp("", "m")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	hostCfg := testHostConfig(t)
	cfg := MasterConfig{
		Target: upstream.Target{Host: "upstream.test"},
		Socket: filepath.Join(dir, "s"), StateDir: t.TempDir(),
		Log: testLogger(), Dial: srv.dial,
	}
	for _, o := range opts {
		o(&cfg, &hostCfg)
	}
	cfg.Loader = fixedConfig(hostCfg)
	m, err := StartMaster(context.Background(), cfg)
	if err != nil {
		t.Fatalf("StartMaster: %v", err)
	}
	f := &masterFixture{m: m, srv: srv, socket: cfg.Socket, served: make(chan error, 1)}
	go func() { f.served <- m.Serve() }()
	t.Cleanup(func() {
		m.Stop(false)
		sshtest.RecvWithin(t, f.served, 10*time.Second, "Serve to return in cleanup")
	})
	if srv.authGate == nil {
		sshtest.RecvWithin(t, m.Login().Done(), 5*time.Second, "the master's login")
		if err := m.Login().Err(); err != nil {
			t.Fatalf("login: %v", err)
		}
	}
	return f
}

// testLogger discards the master's log, unless SSHSHARE_TEST_LOG is set
// (to debug a test): then it goes to stderr.
func testLogger() *slog.Logger {
	if os.Getenv("SSHSHARE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return sshtest.DiscardLogger()
}

// waitServed waits for Serve to return and returns the master's reason.
func (f *masterFixture) waitServed(t *testing.T, within time.Duration) string {
	t.Helper()
	if err := sshtest.RecvWithin(t, f.served, within, "Serve to return"); err != nil {
		t.Errorf("Serve: %v", err)
	}
	f.served <- nil // for the cleanup
	return f.reason()
}

// reason is why the master ended, or "" while it runs.
func (f *masterFixture) reason() string {
	if err := context.Cause(f.m.ctx); err != nil {
		return err.Error()
	}
	return ""
}

// notServed fails the test if Serve returns within d.
func (f *masterFixture) notServed(t *testing.T, d time.Duration, why string) {
	t.Helper()
	select {
	case <-f.served:
		t.Fatalf("Serve returned (%s); want it running %s", f.reason(), why)
	case <-time.After(d):
	}
}

// share connects a local client to the master as ssh would through the
// invocation: a share hello on the socket, then SSH over it.
func (f *masterFixture) share(t *testing.T) *ssh.Client {
	t.Helper()
	c, err := f.dialShare()
	if err != nil {
		t.Fatalf("share: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// dialShare is share that returns its error.
func (f *masterFixture) dialShare() (*ssh.Client, error) {
	return f.dialShareWith(ssh.Config{})
}

// dialShareWith is dialShare with a client whose algorithms are algos's.
func (f *masterFixture) dialShareWith(algos ssh.Config) (*ssh.Client, error) {
	conn, err := control.Dial(f.socket, control.Hello{Version: control.ProtocolVersion, Op: control.OpShare})
	if err != nil {
		return nil, err
	}
	cfg := &ssh.ClientConfig{Config: algos, User: "test", HostKeyCallback: f.m.keys.HostKeyCallback(), Timeout: 5 * time.Second}
	c, chans, reqs, err := ssh.NewClientConn(conn, "upstream.test:22", cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return ssh.NewClient(c, chans, reqs), nil
}

// run runs command on a new session of c and returns its output and exit
// status.
func run(t *testing.T, c *ssh.Client, command string) (string, int) {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatalf("new session for %q: %v", command, err)
	}
	defer s.Close()
	out, err := s.Output(command)
	var exit *ssh.ExitError
	switch {
	case errors.As(err, &exit):
		return string(out), exit.ExitStatus()
	case err != nil:
		t.Fatalf("run %q: %v (output %q)", command, err, out)
	}
	return string(out), 0
}

// mustRun runs command and fails the test unless it prints want and
// exits 0.
func mustRun(t *testing.T, c *ssh.Client, command, want string) {
	t.Helper()
	out, status := run(t, c, command)
	if out != want || status != 0 {
		t.Fatalf("run %q: got %q, exit %d; want %q, exit 0", command, out, status, want)
	}
}

// spareReady reports whether the master's pool holds a usable spare.
func (f *masterFixture) spareReady() bool {
	p := f.m.pool
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.spare != nil && !p.filling
}

// withHandshakeWait bounds local clients' SSH handshakes.
func withHandshakeWait(d time.Duration) masterOption {
	return func(c *MasterConfig, _ *upstream.HostConfig) { c.handshakeWait = d }
}
