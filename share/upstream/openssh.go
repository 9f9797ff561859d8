package upstream

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/sysio"
	"golang.org/x/crypto/ssh"
)

// The OpenSSH engine. For each upstream connection the master starts the
// user's own ssh on the master's view of the config, as a ControlMaster
// with no session of its own, on a control socket in a private directory
// (never the user's ControlPath, nor the mux door's):
//
//	ssh -F VIEW [-p PORT] [-l USER] [ssh's own options] -N -S DIR/c
//	    -o ControlMaster=yes -o ControlPersist=no … -- ALIAS
//
// Once ssh has logged in, its socket appears; the master attaches to it in
// OpenSSH's proxy mode (MUX_C_PROXY, ssh.NewControlClientConn), which
// carries the SSH connection protocol unencrypted over the local socket,
// and uses that as its upstream ssh.Conn. ssh's questions (passwords,
// passphrases, PINs, host keys) reach the user through an askpass that is
// sshshare itself (askpass.go). Closing the connection ends that ssh; a
// master that dies takes it along (engineProcAttr).
//
// What proxy mode does not carry: OpenSSH's master accepts no global
// request but tcpip-forward from a proxy client (and sends no reply to
// it), and drops the proxy client on any other; and it serves the agent
// and X11 channels the server opens itself. engineConn therefore makes
// its keepalives a channel open the server refuses (ping), asks for
// remote forwards (TCP and Unix socket) as ssh -O forward does, and
// refuses other global requests by name in the log. ssh's
// ForwardAgent names a socket the master serves, so agent channels reach
// the master and are routed per client as the Go engine's; X11 forwarding
// is refused by name on the session (ssh checks X11 channels against its
// own sessions' cookies).

// SSHCommand is the engine ssh's command line for the master's view.
type SSHCommand struct {
	Bin  string   // the ssh program
	Args []string // the view's options: -F, -p, -l and the invoking ssh's
	Host string   // the destination as the config names it
	Done func()   // removes the view's copy, once ssh no longer reads it
}

// EngineCommand is the command line that gives the engine ssh the
// master's view of t: the same files and options ssh -G read. ssh reads
// the view's copy again for each ProxyJump hop, so Done must wait until it
// has exited.
func (l ConfigLoader) EngineCommand(t Target) (SSHCommand, error) {
	file, done, err := l.view()
	if err != nil {
		done()
		return SSHCommand{}, fmt.Errorf("config view for ssh: %w", err)
	}
	return SSHCommand{Bin: cmp.Or(l.SSH, "ssh"), Args: l.viewArgs(file, t), Host: t.configHost(), Done: done}, nil
}

// OpenSSH is what the OpenSSH engine needs besides the Dialer.
type OpenSSH struct {
	// Command builds the engine ssh's command line for a target.
	Command func(Target) (SSHCommand, error)
	// Dir holds each engine ssh's private directory (control socket,
	// askpass): a directory of the user's, short enough for a socket path.
	Dir string
	// Self is this sshshare's executable, run by ssh as its askpass.
	Self string
	// Route, if set, is the ProxyCommand that reaches the target instead
	// of the config's route: the --via chain, as a tunnel-mode sshshare.
	Route string
}

// engineExitWait is how long an engine ssh is given to exit after
// SIGTERM before it is killed.
const engineExitWait = 5 * time.Second

// dialOpenSSH makes one upstream connection with the OpenSSH engine.
func (d *Dialer) dialOpenSSH(ctx context.Context) (*Upstream, error) {
	if d.OpenSSH == nil || d.OpenSSH.Command == nil {
		return nil, errors.New("openssh engine: this master cannot run ssh (no ssh config loader)")
	}
	line, err := d.OpenSSH.Command(d.Target)
	if err != nil {
		return nil, err
	}
	e, err := d.startEngine(line)
	if err != nil {
		line.Done()
		return nil, err
	}
	up, err := d.attach(ctx, e)
	if err != nil {
		e.stop()
		return nil, err
	}
	return up, nil
}

// engine is one running engine ssh.
type engine struct {
	cmd     *exec.Cmd
	dir     string // private: the control socket and the askpass
	ctl     string // the control socket
	log     *slog.Logger
	done    func() // removes the view's copy
	askpass *askpassRelay
	agent   net.Listener // ssh's ForwardAgent socket, served by the master
	stderr  *engineStderr
	exited  chan struct{}
	exitErr error // valid once exited is closed
	once    sync.Once

	mu      sync.Mutex
	refused error // a question that could not be answered: the login's end
}

// refuse ends the login because a question could not be answered (see
// askpassRelay.refused): ssh is stopped before it can send an empty
// answer, and the login fails with err.
func (e *engine) refuse(err error) {
	e.mu.Lock()
	if e.refused == nil {
		e.refused = err
	}
	e.mu.Unlock()
	e.stop()
}

// startEngine starts the engine ssh for line.
func (d *Dialer) startEngine(line SSHCommand) (*engine, error) {
	dir, err := os.MkdirTemp(engineDir(d.OpenSSH.Dir), "e")
	if err != nil {
		return nil, fmt.Errorf("openssh engine: %w", err)
	}
	e := &engine{dir: dir, ctl: filepath.Join(dir, "c"), log: d.Log, done: line.Done, exited: make(chan struct{})}
	if err := d.prepareEngine(e, line); err != nil {
		e.release()
		return nil, err
	}
	if err := e.cmd.Start(); err != nil {
		e.release()
		return nil, fmt.Errorf("openssh engine: %w", err)
	}
	engines.add(e)
	go e.reap()
	d.Log.Info("engine ssh started", "pid", e.cmd.Process.Pid, "args", e.cmd.Args[1:])
	return e, nil
}

// EngineSSHEnv is set in the environment of the OpenSSH engine's ssh, so
// an sshshare its route runs knows it runs under one.
const EngineSSHEnv = "SSHSHARE_ENGINE_SSH"

// prepareEngine makes e's askpass relay (when the login may ask), its
// agent socket and its command.
func (d *Dialer) prepareEngine(e *engine, line SSHCommand) error {
	env := append(withoutEnv(os.Environ(), "SSH_ASKPASS", "SSH_ASKPASS_REQUIRE"), EngineSSHEnv+"=1")
	var err error
	if p := d.promptIfInteractive(); p != nil {
		if e.askpass, err = startAskpass(e.dir, d.OpenSSH.Self, p, d.Log); err != nil {
			return err
		}
		env = append(env, "SSH_ASKPASS="+e.askpass.script, "SSH_ASKPASS_REQUIRE=force")
	} else {
		env = append(env, "SSH_ASKPASS_REQUIRE=never")
	}
	if e.agent, err = listenAgent(e.dir); err != nil {
		return err
	}
	opts := d.engineOptions(e.ctl, e.agent.Addr().String())
	debug := d.Stderr == nil && !quietLevel(d.Config.LogLevel) && !strings.HasPrefix(strings.ToUpper(d.Config.LogLevel), "DEBUG")
	if debug {
		opts = append(opts, "-o", "LogLevel=DEBUG1") // for the accepted key (see engineStderr)
	}
	e.cmd = exec.Command(line.Bin, append(append(slices.Clone(line.Args), opts...), "--", line.Host)...)
	e.cmd.Env = env
	e.cmd.Dir = sysio.StartDir()
	e.cmd.SysProcAttr = engineProcAttr()
	e.stderr = newEngineStderr(d.Log, d.Stderr, d.note, debug)
	e.cmd.Stderr = e.stderr
	if e.askpass != nil {
		e.askpass.preface = e.stderr.preface
		e.askpass.refused = e.refuse
	}
	return nil
}

// release closes what an engine ssh used: its askpass relay, its agent
// socket and its private directory.
func (e *engine) release() {
	e.askpass.close()
	if e.agent != nil {
		e.agent.Close()
	}
	os.RemoveAll(e.dir)
}

// maxEngineDir is the longest directory the engine's control socket fits
// in: ssh binds it first under a name 17 bytes longer (".XXXXXXXXXXXXXXXX"),
// and a Unix socket path has 104 bytes on some systems.
const maxEngineDir = 104 - len("/e0123456789/c.XXXXXXXXXXXXXXXX") - 1

// engineDir is where an engine's private directory goes: dir, or the
// system's temporary directory when dir is too long for the socket.
func engineDir(dir string) string {
	if dir == "" || len(dir) > maxEngineDir {
		return os.TempDir()
	}
	return dir
}

// engineOptions are the options the master adds to the view: a master on
// its private socket and nothing else; the agent channels the server opens
// on its connection go to agent, where the master serves them (see
// engineForwards.serveAgent). -o options given first win over the
// config's. The local hop's known_hosts file is left out, as for the Go
// engine: its wildcard lines name the local key.
func (d *Dialer) engineOptions(ctl, agent string) []string {
	opts := []string{"-N", "-n", "-T", "-S", ctl,
		"-o", "ControlMaster=yes", "-o", "ControlPersist=no",
		"-o", "ClearAllForwardings=yes", "-o", "ForwardAgent=" + agent, "-o", "ForwardX11=no",
		"-o", "PermitLocalCommand=no", "-o", "RemoteCommand=none", "-o", "Tunnel=no",
		"-o", "UserKnownHostsFile=" + knownHostsOption(d.Config.UserKnownHostsFiles),
		"-o", "GlobalKnownHostsFile=" + knownHostsOption(d.Config.GlobalKnownHostsFiles)}
	if argv, err := splitArgv(d.Config.KnownHostsCommand); err == nil && isOwnKnownHosts(argv) {
		opts = append(opts, "-o", "KnownHostsCommand=none") // the local hop's keys
	}
	if d.OpenSSH != nil && d.OpenSSH.Route != "" {
		opts = append(opts, "-o", "ProxyCommand="+d.OpenSSH.Route) // first given wins
	}
	if d.Config.ForkAfterAuth {
		opts = append(opts, "-o", "ForkAfterAuthentication=no")
	}
	if !d.interactive() {
		opts = append(opts, "-o", "BatchMode=yes")
	}
	// The master watches the server through the engine with the config's
	// ServerAlive settings (its keepalives are pings, see engineConn), and
	// tells the clients why when it gives up. ssh's own watch is only the
	// backstop, later than the master's longest (maxDeadAfter in share).
	opts = append(opts, "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4")
	return opts
}

// knownHostsOption is a known_hosts file list as an -o value.
func knownHostsOption(files []string) string {
	if len(files) == 0 {
		return "/dev/null"
	}
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = f
		if strings.ContainsAny(f, " \t\"") {
			quoted[i] = strconv.Quote(f)
		}
	}
	return strings.Join(quoted, " ")
}

// withoutEnv is environ without the named variables.
func withoutEnv(environ []string, names ...string) []string {
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			drop = drop || name == n
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

// reap waits for the engine ssh and cleans up after it.
func (e *engine) reap() {
	e.exitErr = e.cmd.Wait()
	engines.remove(e)
	e.release()
	e.done()
	close(e.exited)
	e.log.Info("engine ssh exited", "pid", e.cmd.Process.Pid, "status", e.exitErr)
}

// stop ends the engine ssh: SIGTERM (ssh exits, and removes its socket),
// then SIGKILL engineExitWait later.
func (e *engine) stop() {
	e.once.Do(func() {
		if e.signal() != nil {
			e.cmd.Process.Kill()
		}
		go func() {
			select {
			case <-e.exited:
			case <-time.After(engineExitWait):
				e.cmd.Process.Kill()
			}
		}()
	})
}

// pid is the engine ssh's process id.
func (e *engine) pid() int { return e.cmd.Process.Pid }

// ErrLoginRefused is in the chain of an OpenSSH engine's failed login
// that the server refused (ssh's "Permission denied (...)"): the methods
// ssh could use were not enough.
var ErrLoginRefused = errors.New("the server refused the login")

// loginRefused is ssh's refusal, reported by errors.Is as ErrLoginRefused.
type loginRefused struct{ error }

func (loginRefused) Is(target error) bool { return target == ErrLoginRefused }

// failure says why the engine ssh exited before it was logged in: a
// question nobody answered, else its last line on stderr (ssh's own
// reason), or its exit status.
func (e *engine) failure(d *Dialer) error {
	addr := net.JoinHostPort(d.Config.HostName, strconv.Itoa(d.Config.Port))
	e.mu.Lock()
	refused := e.refused
	e.mu.Unlock()
	if errors.Is(refused, ErrNoPrompter) || errors.Is(refused, ErrPrompterGone) {
		return hint.With(fmt.Errorf("log in to %s@%s: %w", d.Config.User, addr, refused),
			"run ssh in a terminal, set SSH_ASKPASS, or load a key into ssh-agent")
	}
	if refused != nil {
		return refused
	}
	with := "ssh"
	if d.Config.ProxyCommand != "" && (d.OpenSSH == nil || d.OpenSSH.Route == "") {
		with += " through ProxyCommand " + d.Config.ProxyCommand // what it printed came before
	}
	if last := e.stderr.reason(); last != "" {
		var why error = errors.New(strings.TrimPrefix(last, "ssh: "))
		if strings.Contains(last, "Permission denied (") {
			why = loginRefused{why}
		}
		return hint.With(fmt.Errorf("log in to %s@%s with %s: %w", d.Config.User, addr, with, why), e.stderr.hint())
	}
	return fmt.Errorf("log in to %s@%s with %s: %v", d.Config.User, addr, with, e.exitErr)
}

// attach waits for the engine ssh's control socket and attaches to it in
// proxy mode.
func (d *Dialer) attach(ctx context.Context, e *engine) (*Upstream, error) {
	if err := d.awaitSocket(ctx, e); err != nil {
		return nil, err
	}
	identity := e.stderr.loggedIn()
	conn, err := net.DialTimeout("unix", e.ctl, d.ConnectTimeout())
	if err != nil {
		return nil, fmt.Errorf("openssh engine: %w", err)
	}
	var c net.Conn = conn
	if d.Heard != nil {
		c = heardConn{Conn: conn, heard: d.Heard}
	}
	// As the Go engine's TCP connection: one system call for the packets
	// that gathered, not one each.
	c = sysio.BatchWrites(sysio.ReadBuffered(c, sysio.UpstreamReadBuffer))
	sc, chans, reqs, err := ssh.NewControlClientConn(c)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("openssh engine: %w", err)
	}
	fwd := newEngineForwards(e, chans)
	go fwd.serveAgent(e.agent)
	ec := &engineConn{Conn: sc, e: e, fwd: fwd}
	go func() {
		<-e.exited
		sc.Close()
	}()
	d.Log.Info("engine ssh logged in", "pid", e.pid(), "socket", e.ctl, "identity", identity)
	return &Upstream{Conn: ec, Chans: fwd.chans, Reqs: reqs, Identity: identity, Engine: EngineOpenSSH, EnginePID: e.pid()}, nil
}

// enginePoll is how often the master looks for the engine's socket.
const enginePoll = 20 * time.Millisecond

// awaitSocket waits until the engine ssh has logged in (its control socket
// exists), has failed (exited), or ctx ends. The wait is bounded by
// loginWait: ssh bounds its connect itself, but not the user's answers.
func (d *Dialer) awaitSocket(ctx context.Context, e *engine) error {
	t := time.NewTicker(enginePoll)
	defer t.Stop()
	deadline := time.NewTimer(loginWait)
	defer deadline.Stop()
	for {
		if _, err := os.Stat(e.ctl); err == nil {
			return nil
		}
		select {
		case <-e.exited:
			return e.failure(d)
		case <-ctx.Done():
			return fmt.Errorf("openssh engine: %w", context.Cause(ctx))
		case <-deadline.C:
			return errors.New("openssh engine: ssh did not log in in time")
		case <-t.C:
		}
	}
}

// loginWait bounds the questions of an engine ssh's login.
const loginWait = 10 * time.Minute

// engineConn is the proxy-mode connection to an engine ssh. See the top
// of this file for why it answers global requests itself.
type engineConn struct {
	ssh.Conn
	e   *engine
	fwd *engineForwards
}

// ThroughEngine reports whether conn is an OpenSSH engine connection:
// one that carries no X11 forwarding.
func ThroughEngine(conn ssh.Conn) bool {
	_, ok := conn.(*engineConn)
	return ok
}

// ErrEngineNoX11 is X11 forwarding asked of an OpenSSH engine
// connection: ssh serves X11 channels only to its own sessions.
var ErrEngineNoX11 = errors.New("the master's openssh engine cannot carry it (ssh accepts X11 channels only for its own sessions)")

// errEngineGone is a keepalive on a connection whose engine ssh exited.
var errEngineGone = errors.New("openssh engine: ssh exited")

// SendRequest answers keepalives with a round trip to the server (ping),
// asks for remote forwards over a control
// connection (openssh_forward.go), and refuses every other global
// request.
func (c *engineConn) SendRequest(name string, wantReply bool, payload []byte) (bool, []byte, error) {
	select {
	case <-c.e.exited:
		return false, nil, errEngineGone
	default:
	}
	switch name {
	case "keepalive@openssh.com":
		return c.ping()
	case "tcpip-forward", "cancel-tcpip-forward", "streamlocal-forward@openssh.com", "cancel-streamlocal-forward@openssh.com":
		return c.fwd.request(name, payload)
	}
	c.e.log.Warn("global request refused: OpenSSH's proxy mode carries none to the server (the openssh engine)", "request", name)
	return false, nil, nil
}

// pingChannel is the channel type of a keepalive through the engine:
// one the server does not know, so it refuses it at once. Proxy mode
// relays channel opens, not keepalive requests, and this is the cheapest
// round trip to the server it carries: nothing is opened, nothing logged
// above sshd's DEBUG level.
const pingChannel = "keepalive@sshshare"

// ping makes one round trip to the server: any answer to the channel
// open, a refusal included, says it is there.
func (c *engineConn) ping() (bool, []byte, error) {
	ch, _, err := c.Conn.OpenChannel(pingChannel, nil)
	var refused *ssh.OpenChannelError
	switch {
	case err == nil:
		ch.Close()
	case !errors.As(err, &refused):
		return false, nil, err
	}
	return true, nil, nil
}

// Close ends the engine ssh and closes the connection. ssh is signalled
// first: one stuck on a dead network may not read what the connection
// still has to send, and closing waits a moment for that to go.
func (c *engineConn) Close() error {
	c.e.stop()
	return c.Conn.Close()
}

// engineSet is the engine ssh processes this process runs.
type engineSet struct {
	mu  sync.Mutex
	set map[*engine]struct{}
}

// engines is every engine ssh this process has started and not reaped.
var engines = engineSet{set: make(map[*engine]struct{})}

func (s *engineSet) add(e *engine) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set[e] = struct{}{}
}

func (s *engineSet) remove(e *engine) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.set, e)
}

func (s *engineSet) list() []*engine {
	s.mu.Lock()
	defer s.mu.Unlock()
	var es []*engine
	for e := range s.set {
		es = append(es, e)
	}
	return es
}

// endEngines stops every engine ssh and waits for each to be reaped, up
// to engineExitWait and a second; it returns those left running.
func endEngines() []string {
	es := engines.list()
	for _, e := range es {
		e.stop()
	}
	deadline := time.After(engineExitWait + time.Second)
	var left []string
	for _, e := range es {
		select {
		case <-e.exited:
		case <-deadline:
			left = append(left, "engine ssh pid "+strconv.Itoa(e.pid()))
		}
	}
	return left
}
