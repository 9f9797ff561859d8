package upstream

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/sshshare/sshshare/share/sysio"
)

// commandExitWait bounds how long a ProxyCommand is given to exit after
// its connection closed and it was sent SIGHUP, before it is killed.
const commandExitWait = 5 * time.Second

// exitStatusWait bounds how long a read that hit the end of a
// ProxyCommand's output waits for the command's exit status, to say why.
const exitStatusWait = time.Second

// startCommand runs a ProxyCommand line as ssh does (see commandFor:
// `SHELL -c "exec LINE"`, on Windows no shell), and returns its stdin and
// stdout as the connection. Its stderr is
// logged line by line and copied to stderr, if set, as it comes; the
// command never holds the master's (or anybody's) stderr itself.
func startCommand(shell, line string, log *slog.Logger, stderr io.Writer) (net.Conn, error) {
	cmd, err := commandFor(shell, line)
	if err != nil {
		return nil, fmt.Errorf("ProxyCommand %s: %w", line, err)
	}
	cmd.Dir = sysio.StartDir() // where ssh would run it
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("ProxyCommand: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		closeAll(inR, inW)
		return nil, fmt.Errorf("ProxyCommand: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		closeAll(inR, inW, outR, outW)
		return nil, fmt.Errorf("ProxyCommand: %w", err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	err = cmd.Start()
	closeAll(inR, outW, errW) // the command's ends
	if err != nil {
		closeAll(inW, outR, errR)
		return nil, fmt.Errorf("ProxyCommand %s: %w", line, err)
	}
	c := &commandConn{line: line, cmd: cmd, out: outR, in: inW, exited: make(chan struct{}), quiet: make(chan struct{})}
	running.add(c)
	go func() {
		c.exitErr = cmd.Wait()
		running.remove(c)
		close(c.exited)
		log.Info("ProxyCommand exited", "command", line, "status", c.exitErr)
	}()
	go func() {
		relayStderr(errR, line, log, stderr)
		close(c.quiet)
	}()
	log.Info("ProxyCommand started", "command", line, "pid", cmd.Process.Pid)
	return c, nil
}

// running is the ProxyCommands this process has started and not reaped.
var running = commandSet{set: make(map[*commandConn]struct{})}

// commandSet is a set of running ProxyCommands.
type commandSet struct {
	mu  sync.Mutex
	set map[*commandConn]struct{}
}

func (s *commandSet) add(c *commandConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set[c] = struct{}{}
}

func (s *commandSet) remove(c *commandConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.set, c)
}

func (s *commandSet) list() []*commandConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	var cs []*commandConn
	for c := range s.set {
		cs = append(cs, c)
	}
	return cs
}

// EndCommands ends every ProxyCommand this process still runs, as closing
// its connection does (SIGHUP, then SIGKILL commandExitWait later), and
// waits for each to be reaped, a second past that at most. A master calls
// it last before it exits: the kill would otherwise die with it, leaving a
// command that ignores SIGHUP and its stdin's end (nc without -N) holding
// its connection open. It returns the commands still running after all.
func EndCommands() []string {
	cs := running.list()
	for _, c := range cs {
		c.Close()
	}
	deadline := time.After(commandExitWait + time.Second)
	expired := false
	var left []string
	for _, c := range cs {
		if !expired {
			select {
			case <-c.exited:
				continue
			case <-deadline:
				expired = true
			}
		}
		select {
		case <-c.exited:
		default:
			left = append(left, c.line)
		}
	}
	return left
}

// closeAll closes files, on paths where their errors change nothing.
func closeAll(files ...*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// relayStderr copies a ProxyCommand's stderr to w as it comes, and logs
// it line by line, until every holder of the pipe has closed it.
func relayStderr(r *os.File, line string, log *slog.Logger, w io.Writer) {
	defer r.Close()
	lines := stderrLines{command: line, log: log}
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if w != nil {
				w.Write(buf[:n])
			}
			lines.add(buf[:n])
		}
		if err != nil {
			lines.flush()
			return
		}
	}
}

// maxStderrLine caps a ProxyCommand's stderr line as logged: a command
// that redraws a progress line with '\r' for hours must not grow the
// master's memory.
const maxStderrLine = 4096

// stderrLines logs a ProxyCommand's stderr line by line. A line longer
// than maxStderrLine is logged cut there, and the rest of it dropped.
type stderrLines struct {
	command  string
	log      *slog.Logger
	pending  []byte // the current line's start
	skipping bool   // the current line was logged cut: drop it to its end
}

// add takes the next bytes of the stream.
func (l *stderrLines) add(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.hold(p)
			return
		}
		l.hold(p[:i])
		l.flush()
		l.skipping = false
		p = p[i+1:]
	}
}

// hold adds part of the current line, logging it cut once it is too long.
func (l *stderrLines) hold(p []byte) {
	if l.skipping {
		return
	}
	if room := maxStderrLine - len(l.pending); len(p) > room {
		l.pending = append(l.pending, p[:room]...)
		l.log.Info("ProxyCommand stderr", "command", l.command, "line", string(l.pending), "truncated", true)
		l.pending = l.pending[:0]
		l.skipping = true
		return
	}
	l.pending = append(l.pending, p...)
}

// flush logs the current line, if it holds anything.
func (l *stderrLines) flush() {
	if len(l.pending) > 0 {
		l.log.Info("ProxyCommand stderr", "command", l.command, "line", string(l.pending))
	}
	l.pending = l.pending[:0]
}

// commandConn is a ProxyCommand's stdio as a net.Conn. Closing it closes
// the pipes and sends the command SIGHUP, as ssh does when it exits, and
// kills it if it has not exited commandExitWait later; it is always
// reaped.
type commandConn struct {
	line    string
	cmd     *exec.Cmd
	out     *os.File // the command's stdout
	in      *os.File // the command's stdin
	exited  chan struct{}
	exitErr error         // valid once exited is closed
	quiet   chan struct{} // closed once its stderr has been relayed to the end
	once    sync.Once
}

// Read reads the command's stdout. At its end, it waits a moment for the
// command's exit status and the rest of its stderr, so a failed command
// says why (and its last words reach the user) before the login fails.
func (c *commandConn) Read(p []byte) (int, error) {
	n, err := c.out.Read(p)
	if err != io.EOF {
		return n, err
	}
	timeout := time.After(exitStatusWait)
	for _, ch := range []chan struct{}{c.exited, c.quiet} {
		select {
		case <-ch:
		case <-timeout:
			return n, io.EOF
		}
	}
	if c.exitErr != nil {
		return n, fmt.Errorf("ProxyCommand %s: %w", c.line, c.exitErr)
	}
	return n, io.EOF
}

func (c *commandConn) Write(p []byte) (int, error) { return c.in.Write(p) }

// CloseWrite closes the command's stdin: it sees end of file.
func (c *commandConn) CloseWrite() error { return c.in.Close() }

// Close ends the command: see commandConn.
func (c *commandConn) Close() error {
	c.once.Do(func() {
		c.in.Close()
		c.out.Close()
		if c.cmd.Process.Signal(syscall.SIGHUP) != nil {
			c.cmd.Process.Kill()
		}
		go func() {
			select {
			case <-c.exited:
			case <-time.After(commandExitWait):
				c.cmd.Process.Kill()
			}
		}()
	})
	return nil
}

func (c *commandConn) LocalAddr() net.Addr  { return commandAddr(c.line) }
func (c *commandConn) RemoteAddr() net.Addr { return commandAddr(c.line) }

func (c *commandConn) SetDeadline(t time.Time) error {
	return errors.Join(c.out.SetReadDeadline(t), c.in.SetWriteDeadline(t))
}

func (c *commandConn) SetReadDeadline(t time.Time) error  { return c.out.SetReadDeadline(t) }
func (c *commandConn) SetWriteDeadline(t time.Time) error { return c.in.SetWriteDeadline(t) }

// commandAddr is the address of a ProxyCommand's connection: its line.
type commandAddr string

func (commandAddr) Network() string  { return "proxycommand" }
func (a commandAddr) String() string { return string(a) }
