package share

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/sshshare/sshshare/lock"
)

// Invocation is one run of sshshare as ssh's ProxyCommand: it connects its
// stdio to the master for the target, starting the master if there is none.
type Invocation struct {
	Target Target
	Socket string
	// Spawn starts a detached master for Target on Socket; see SpawnMaster.
	Spawn func(ctx context.Context) (*Starting, error)
	Log   *slog.Logger
	// LockWait bounds the wait for another invocation's master start-up.
	LockWait time.Duration
	// StateDir holds the local host key (tunnel mode logs in to the master
	// to answer its questions).
	StateDir string
	// Prompt asks the user a login question in tunnel mode, where the local
	// ssh talks to the target and cannot relay the bastion's questions.
	Prompt func(Question) ([]string, error)
	// CanPrompt overrides the CanPrompt rule, for a Prompt of its own.
	CanPrompt func() bool
}

// helloTimeout bounds a master's answer to a hello.
const helloTimeout = 10 * time.Second

// Run connects stdin and stdout to the master until the master side ends:
// it hands them over where it can (see stdio.go) and splices them
// otherwise. Stdout carries SSH bytes only. When this invocation started
// the master, the local ssh's handshake runs while the master logs in (it
// may relay questions to it); Run reports a failed login.
func (inv *Invocation) Run(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	in, out, handOver := stdioFiles(stdin, stdout)
	conn, starting, err := inv.connect(ctx, handOver)
	if err != nil {
		return err
	}
	defer conn.Close()
	spliced := make(chan error, 1)
	if mc, ok := conn.(*masterConn); ok && mc.stdio {
		go func() { spliced <- handOverStdio(mc.Conn, in, out) }()
	} else {
		go func() { spliced <- Splice(conn, stdin, stdout) }()
	}
	if starting != nil {
		if err := starting.Wait(); err != nil {
			return err // printed before ssh, refused, hangs up on us
		}
	}
	err = <-spliced
	if stopped := inv.stopped(conn); stopped != nil {
		return stopped
	}
	return err
}

// Connect returns a connection to a master that has accepted this client,
// and, if this invocation started that master, its login under way: the
// caller must Wait for it, which releases the start-up lock. The fast path
// takes no lock; the slow path serialises start-up so that N simultaneous
// cold invocations make exactly one master and one login.
func (inv *Invocation) Connect(ctx context.Context) (net.Conn, *Starting, error) {
	return inv.connect(ctx, false)
}

// connect is Connect, offering the master this invocation's stdio when
// stdio is set (see stdio.go).
func (inv *Invocation) connect(ctx context.Context, stdio bool) (net.Conn, *Starting, error) {
	conn, err := dialOp(inv.Socket, inv.shareHello(false, stdio))
	var refused *RefusedError
	if err == nil || errors.As(err, &refused) {
		return conn, nil, err
	}
	inv.Log.Debug("fast path", "err", err)
	return inv.slowPath(ctx, stdio)
}

// slowPath takes the start-up lock, re-checks, clears a dead socket, starts
// a master and connects to it.
func (inv *Invocation) slowPath(ctx context.Context, stdio bool) (conn net.Conn, starting *Starting, err error) {
	if err := EnsurePrivateDir(filepath.Dir(inv.Socket)); err != nil {
		return nil, nil, err
	}
	waitStart := time.Now()
	lockCtx, cancel := context.WithTimeout(ctx, inv.LockWait)
	release, err := lock.Acquire(lockCtx, inv.Socket)
	cancel()
	if err != nil {
		return nil, nil, fmt.Errorf("wait for master start-up: %w", err)
	}
	defer func() {
		if starting == nil {
			release()
		}
	}()
	conn, err = dialOp(inv.Socket, inv.shareHello(false, stdio))
	var refused *RefusedError
	if err == nil || errors.As(err, &refused) {
		return conn, nil, err
	}
	if err := recentFailure(inv.Socket, waitStart); err != nil {
		return nil, nil, err
	}
	if err := os.Remove(inv.Socket); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("remove stale socket: %w", err)
	}
	s, err := inv.Spawn(ctx)
	if err != nil {
		return nil, nil, err
	}
	if conn, err = dialOp(inv.Socket, inv.shareHello(true, stdio)); err != nil {
		s.Wait()
		return nil, nil, fmt.Errorf("connect to new master: %w", err)
	}
	s.release = release
	return conn, s, nil
}

// canPrompt reports whether the user can be asked: the invocation's own
// rule (tunnel mode, start) or, by default, ssh's.
func (inv *Invocation) canPrompt() bool {
	if inv.CanPrompt != nil {
		return inv.CanPrompt()
	}
	return CanPrompt()
}

// Prompt routes: how a question can reach the user.
const (
	PromptNone    = ""        // no way to ask
	PromptAskpass = "askpass" // run SSH_ASKPASS
	PromptTTY     = "tty"     // the controlling terminal
)

// PromptRoute tells how ssh, run in this environment, would ask its user a
// question, by the rules of its read_passphrase: askpass when
// SSH_ASKPASS_REQUIRE=force, else the controlling terminal, else askpass
// when a display is set (or SSH_ASKPASS_REQUIRE=prefer) and askpass is not
// "never".
func PromptRoute() string {
	askpass := os.Getenv("SSH_ASKPASS") != ""
	require := os.Getenv("SSH_ASKPASS_REQUIRE")
	if require == "force" && askpass {
		return PromptAskpass
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0); err == nil {
		tty.Close()
		return PromptTTY
	}
	display := os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
	if askpass && require != "never" && (require == "prefer" || display) {
		return PromptAskpass
	}
	return PromptNone
}

// CanPrompt reports whether the user can be asked anything (see
// PromptRoute).
func CanPrompt() bool { return PromptRoute() != PromptNone }

// shareHello asks to share, as the master's starter or not, offering
// stdio or not.
func (inv *Invocation) shareHello(starter, stdio bool) Hello {
	h := Hello{Version: ProtocolVersion, Op: OpShare, Stdio: stdio, Starter: starter}
	if starter {
		h.CanPrompt = inv.canPrompt()
	}
	return h
}

// dialOp connects to the master at socket and asks for hello's operation.
// A refusal by a working master (not a dying one) is a *RefusedError.
func dialOp(socket string, hello Hello) (net.Conn, error) {
	conn, err := net.Dial("unix", socket)
	if err != nil {
		return nil, err
	}
	reply, err := exchange(conn, hello)
	if err == nil && !reply.OK {
		err = errors.New(reply.Error)
		if !reply.Retry {
			err = &RefusedError{Reason: reply.Error, Fix: reply.Hint}
		}
	}
	var refused *RefusedError
	if errors.As(err, &refused) {
		conn.Close()
		return nil, err
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("master %s: %w", socket, err)
	}
	return &masterConn{Conn: conn, pid: reply.Pid, stdio: reply.Stdio}, nil
}

// RefusedError is a working master's refusal of an operation, such as a
// tunnel to a target the bastion cannot reach. Starting another master
// would not help.
type RefusedError struct {
	Reason string
	Fix    string
}

func (e *RefusedError) Error() string { return e.Reason }

// Hint is the fix the master suggested, if any.
func (e *RefusedError) Hint() string { return e.Fix }

// exchange sends a hello and reads the reply, bounded by helloTimeout; a
// share or tunnel hello may wait for the master's login, up to loginWait.
func exchange(conn net.Conn, hello Hello) (Reply, error) {
	var reply Reply
	conn.SetDeadline(time.Now().Add(helloTimeout))
	defer conn.SetDeadline(time.Time{})
	if err := writeFrame(conn, hello); err != nil {
		return reply, err
	}
	if hello.Op == OpShare || hello.Op == OpTunnel {
		conn.SetReadDeadline(time.Now().Add(loginWait))
	}
	err := readFrame(conn, &reply)
	return reply, err
}

// spliceLinger bounds how long a splice waits for the master after ssh
// closed its side: the invocation must not outlive ssh for long, holding
// the user's stderr (`$(ssh host cmd 2>&1)` would wait for it).
const spliceLinger = 2 * time.Second

// Splice copies stdin to conn and conn to stdout until the master side
// ends, or for at most spliceLinger after stdin ended.
func Splice(conn net.Conn, stdin io.Reader, stdout io.Writer) error {
	if mc, ok := conn.(*masterConn); ok {
		conn = mc.Conn // the raw socket: io.Copy can splice(2) it to and from pipes
	}
	stdinDone := make(chan struct{})
	go func() {
		io.Copy(conn, stdin)
		if cw, ok := conn.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
		close(stdinDone)
	}()
	go func() {
		<-stdinDone
		time.Sleep(spliceLinger)
		conn.SetReadDeadline(time.Now())
	}()
	_, err := io.Copy(stdout, conn)
	if err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("relay from master: %w", err)
	}
	return nil
}

// stopped explains a connection whose master was stopped on request
// (`sshshare stop`), so the user knows why the session ended.
func (inv *Invocation) stopped(conn net.Conn) error {
	mc, ok := conn.(*masterConn)
	if !ok || !wasStopped(inv.Socket, mc.pid) {
		return nil
	}
	return fmt.Errorf("master for %s was stopped (sshshare stop)", inv.Target)
}

// masterConn is a connection a master accepted, and that master's pid.
type masterConn struct {
	net.Conn
	pid   int
	stdio bool // the master takes the invocation's stdio
}

// CloseWrite half-closes the connection: the master sees ssh's EOF.
func (c *masterConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
