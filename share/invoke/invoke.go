package invoke

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
	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/sysio"
	"github.com/sshshare/sshshare/share/upstream"
)

// Invocation is one run of sshshare as ssh's ProxyCommand: it connects its
// stdio to the master for the target, starting the master if there is none.
type Invocation struct {
	Target upstream.Target
	Socket string
	// MuxSocket is the mux socket the master would serve, if any: a
	// stale one is cleared with the socket (see clearMuxSocket).
	MuxSocket string
	// Spawn starts a detached master for Target on Socket; see SpawnMaster.
	Spawn func(ctx context.Context) (*Starting, error)
	Log   *slog.Logger
	// LockWait bounds the wait for another invocation's master start-up.
	LockWait time.Duration
	// StateDir holds the local host key (tunnel mode and `sshshare start`
	// log in to the master to answer its questions) and the registry of
	// masters (a master of another version is moved aside there).
	StateDir string
	// Prompt asks the user a login question in tunnel mode, where the local
	// ssh talks to the target and cannot relay the bastion's questions.
	Prompt func(upstream.Question) ([]string, error)
	// CanPrompt tells whether the user can be asked anything, as ssh
	// would (a terminal or an askpass); nil means never. The starter of a
	// master says so in its hello, so the master fails a login that needs
	// an answer at once instead of sending empty answers upstream.
	CanPrompt func() bool
	// Warn shows the user a line a master this invocation started asked
	// it to (a config keyword not applied upstream); nil drops them.
	Warn func(string)
}

// Run connects stdin and stdout to the master until the master side ends:
// it hands them over where it can (see sysio.HandOverStdio) and splices them
// otherwise. Stdout carries SSH bytes only. When this invocation started
// the master, the local ssh's handshake runs while the master logs in (it
// may relay questions to it); Run reports a failed login, and then leaves
// the connection to the master open until the process exits.
func (inv *Invocation) Run(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	in, out, handOver := sysio.StdioFiles(stdin, stdout)
	conn, starting, err := inv.connect(ctx, handOver)
	if err != nil {
		return err
	}
	spliced := make(chan error, 1)
	if mc, ok := conn.(*control.Conn); ok && mc.Stdio {
		go func() { spliced <- sysio.HandOverStdio(mc.Conn, in, out) }()
	} else {
		go func() { spliced <- Splice(conn, stdin, stdout) }()
	}
	if starting != nil {
		if err := starting.Wait(); err != nil {
			// conn is left open for this process's exit, after the
			// caller has printed err: the master ends ssh's connection
			// as soon as conn closes, and ssh's own "Connection closed"
			// must come after the reason, not before it.
			return err
		}
	}
	defer conn.Close()
	err = <-spliced
	if stopped := inv.stopped(conn); stopped != nil {
		return stopped
	}
	return err
}

// connect returns a connection to a master that has accepted this client,
// and, if this invocation started that master, its login under way: the
// caller must Wait for it, which releases the start-up lock. The fast path
// takes no lock; the slow path serialises start-up so that N simultaneous
// cold invocations make exactly one master and one login. With stdio set,
// it offers the master this invocation's stdio (see sysio.HandOverStdio).
func (inv *Invocation) connect(ctx context.Context, stdio bool) (net.Conn, *Starting, error) {
	conn, err := control.Dial(inv.Socket, inv.shareHello(false, stdio))
	if settled(err) {
		return conn, nil, err
	}
	inv.Log.Debug("fast path", "err", err)
	return inv.slowPath(ctx, stdio)
}

// slowPath takes the start-up lock, re-checks, clears a dead socket, starts
// a master and connects to it.
func (inv *Invocation) slowPath(ctx context.Context, stdio bool) (conn net.Conn, starting *Starting, err error) {
	if err := sysio.EnsurePrivateDir(filepath.Dir(inv.Socket)); err != nil {
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
	conn, err = control.Dial(inv.Socket, inv.shareHello(false, stdio))
	if settled(err) {
		return conn, nil, err
	}
	if err := control.RecentFailure(inv.Socket, waitStart); err != nil {
		return nil, nil, err
	}
	if err := inv.clearSocket(err); err != nil {
		return nil, nil, err
	}
	s, err := inv.Spawn(ctx)
	if err != nil {
		return nil, nil, err
	}
	if inv.Warn != nil {
		for _, w := range s.Warnings {
			inv.Warn(w)
		}
	}
	s.Warn = inv.Warn
	if conn, err = control.Dial(inv.Socket, inv.shareHello(true, stdio)); err != nil {
		if loginErr := s.Wait(); loginErr != nil {
			return nil, nil, loginErr // it failed before it could admit us: say why
		}
		return nil, nil, fmt.Errorf("connect to new master: %w", err)
	}
	s.release = release
	return conn, s, nil
}

// settled reports whether dialling a master ended in a way a new master
// would not change: connected, refused by a working master, or refused by
// sysio.DialMaster's checks (a socket, directory or master that is not the
// user's own is reported, never replaced).
func settled(err error) bool {
	var refused *control.RefusedError
	var dir *sysio.DirError
	var sock *sysio.SocketError
	return err == nil || errors.As(err, &refused) || errors.As(err, &dir) || errors.As(err, &sock)
}

// clearSocket makes way for a new master, under the start-up lock, after
// dialling the socket failed with dialErr: a master of another protocol
// version is moved aside, to finish its sessions (see control.Retire);
// anything else there is stale and removed.
func (inv *Invocation) clearSocket(dialErr error) error {
	var skew *control.SkewError
	if errors.As(dialErr, &skew) {
		moved, err := control.Retire(inv.StateDir, inv.Socket)
		inv.Log.Info("master of another version moved aside", "version", skew.Master, "to", moved, "err", err)
	}
	if err := os.Remove(inv.Socket); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove stale socket: %w", err)
	}
	inv.clearMuxSocket()
	return nil
}

// clearMuxSocket removes the mux socket of a master that has gone (killed,
// so it could not remove it): ssh, with ControlMaster no, would print
// "Connection refused" for it on every run until the new master has
// logged in, or for ever if that login fails. A mux socket another live
// master serves is left alone.
func (inv *Invocation) clearMuxSocket() {
	if inv.MuxSocket == "" || sysio.ProbeSocket(inv.MuxSocket) != sysio.SocketStale {
		return
	}
	if err := os.Remove(inv.MuxSocket); err == nil {
		inv.Log.Info("stale mux socket removed", "socket", inv.MuxSocket)
	}
}

// canPrompt reports whether the user can be asked (see CanPrompt).
func (inv *Invocation) canPrompt() bool {
	return inv.CanPrompt != nil && inv.CanPrompt()
}

// shareHello asks to share, as the master's starter or not, offering
// stdio or not.
func (inv *Invocation) shareHello(starter, stdio bool) control.Hello {
	h := control.Hello{Version: control.ProtocolVersion, Op: control.OpShare, Stdio: stdio, Starter: starter}
	if starter {
		h.CanPrompt = inv.canPrompt()
	}
	return h
}

// spliceLinger bounds how long a splice waits for the master after ssh
// closed its side: the invocation must not outlive ssh for long, holding
// the user's stderr (`$(ssh host cmd 2>&1)` would wait for it).
const spliceLinger = 2 * time.Second

// Splice copies stdin to conn and conn to stdout until the master side
// ends, or for at most spliceLinger after stdin ended.
func Splice(conn net.Conn, stdin io.Reader, stdout io.Writer) error {
	if mc, ok := conn.(*control.Conn); ok {
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
	mc, ok := conn.(*control.Conn)
	if !ok || !control.WasStopped(inv.Socket, mc.Pid) {
		return nil
	}
	return fmt.Errorf("master for %s was stopped (sshshare stop)", inv.Target)
}
