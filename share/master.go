package share

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshshare/sshshare/lock"
	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/localhop"
	"github.com/sshshare/sshshare/share/sysio"
	"github.com/sshshare/sshshare/share/upstream"
)

// DefaultPersist is how long a master stays after its last client left:
// the seeds' ControlPersist 120.
const DefaultPersist = 120 * time.Second

// loginFailGrace is how long a master whose login failed stays to answer
// the local clients that were waiting for it.
const loginFailGrace = time.Second

// ConfigLoader reads the user's ssh config for a target.
// upstream.ConfigLoader (`ssh -G`) is the one sshshare uses; tests give a
// master a fixed config instead.
type ConfigLoader interface {
	Load(ctx context.Context, t upstream.Target) (upstream.HostConfig, error)
}

var _ ConfigLoader = upstream.ConfigLoader{}

// MasterConfig is what a master needs to start.
type MasterConfig struct {
	Target upstream.Target
	Via    string // the --via chain this master's upstream goes through, if any
	Build  string // this sshshare's version, for status
	Mode   string // control.OpShare or control.OpTunnel: what it was started for, for status
	Socket string // the socket path it publishes
	// MuxSocket, if set, is where the master serves OpenSSH's
	// multiplexing protocol once logged in (see muxdoor.go): the path a
	// stock ssh's ControlPath names.
	MuxSocket string
	// MuxClientView, if set, reads what a mux client's command line
	// says, by its process id, before its session (see MuxClient).
	MuxClientView func(pid int) MuxClient
	Persist       time.Duration // idle window; 0 means DefaultPersist
	Loader        ConfigLoader  // reads the user's ssh config for Target
	StateDir      string        // holds the local host key
	AuthSock      string        // SSH_AUTH_SOCK of the environment: the agent unless IdentityAgent says otherwise
	Log           *slog.Logger
	// SSHOptions are the invoking ssh's options in the master's view (the
	// Loader has them too), and SSHOptionsUnread why that command line
	// could not be read; both for status.
	SSHOptions       []string
	SSHOptionsUnread string
	// Dial, if set, replaces the TCP connection to the upstream's
	// HostName and Port, for every login: cmd sets it to go through the
	// masters of the jump hosts when Via is set (such a master does not
	// heal: its upstream ends with the master it goes through), and tests
	// to reach an in-process server.
	Dial func(ctx context.Context, host string, port int) (net.Conn, error)
	// Jump dials through the masters of the jump hosts when the config's
	// route is a ProxyJump (see upstream.Dialer.Jump); cmd builds it
	// from the --via machinery, so every target behind a bastion shares
	// the bastion's master. Such a master is chained like one with Via.
	Jump func(ctx context.Context, hops []upstream.Target, host string, port int) (net.Conn, error)
	// Shell runs the config's upstream ProxyCommand, as ssh's $SHELL.
	Shell string
	// KeepOrphans leaves a remote command running when its local ssh goes
	// away without it having exited, as plain ssh does; by default the
	// master signals it (SIGHUP, then SIGTERM) so it ends, as it would at
	// a terminal (see hangup.go).
	KeepOrphans bool
	// Self is this sshshare's executable: the OpenSSH engine's ssh runs
	// it as its askpass (see upstream.OpenSSH).
	Self string
	// Tunnel, if set, gives the ProxyCommand that reaches the target
	// through the masters of the jump hosts via, as Dial and Jump do: the
	// OpenSSH engine's ssh takes it as its route (upstream.OpenSSH.Route)
	// for a --via chain or a ProxyJump. Without it, that ssh takes a
	// ProxyJump itself, and a --via master keeps the Go engine.
	Tunnel func(via string) string
	// Stderr, if set, is the stderr of the ssh that started the master:
	// what an upstream ProxyCommand prints reaches it during the login
	// (a login URL), and it is closed when the login has finished, so the
	// master never holds it longer.
	Stderr io.WriteCloser

	// handshakeWait bounds a local client's SSH handshake (see
	// localHandshakeWait, which 0 means); tests shorten it.
	handshakeWait time.Duration
}

// Master holds one logged-in upstream and serves local clients on a Unix
// socket until it has been idle for its persist window, is stopped, or
// loses its upstream.
type Master struct {
	cfg      MasterConfig
	log      *slog.Logger
	warnings []string // see Warnings
	pool     *upPool
	routes   *routes
	muxFwd   muxForwards   // the forwards asked for over the mux door
	keys     localhop.Keys // presented to local clients
	ln       *publishedListener
	dialer   *upstream.Dialer
	login    *Login
	stderr   *loginStderr // see MasterConfig.Stderr
	started  time.Time
	stats    stats
	health   health

	tunnelsLive tunnels
	riders      riders                  // the live client connections, for status
	mux         atomic.Pointer[muxDoor] // the mux door, once open
	healer      healer
	lastErr     atomic.Value // string: the last problem a user should see in status
	identity    atomic.Value // string: the key the upstream login was accepted with

	// ctx is the master's lifetime, from StartMaster until it has shut
	// down, when it is canceled with the reason as its cause. Each local
	// connection's context derives from it; conns counts the goroutines
	// serving them, which Serve waits for before it returns.
	ctx    context.Context
	cancel context.CancelCauseFunc
	conns  sync.WaitGroup

	// slots are the local connections not yet past their hello or, to
	// share, their SSH handshake (see maxUnauthenticated).
	slots chan struct{}

	// mu guards the fields below it.
	mu       sync.Mutex
	clients  int  // local clients served: past their SSH handshake, or tunnels
	arriving int  // share clients in their SSH handshake (see arrive)
	closing  bool // shutting down: set first, before ctx ends
	draining bool
	idle     *time.Timer
	// loginNotes are the primary login's lines for the user (LoginNotes).
	loginNotes []string
	lost       lostConns // why upstream connections were given up
}

// stats are the master's live counters.
type stats struct {
	channels atomic.Int64
	bytesIn  atomic.Int64 // to local clients
	bytesOut atomic.Int64 // from local clients
	lastUsed atomic.Int64 // unix nanoseconds of the last client leaving
}

// StartMaster reads the config, publishes the socket and starts the
// upstream login in the background. It returns once clients can connect;
// Login reports when the upstream is ready. Clients that connect meanwhile
// wait for the login, or answer its questions (see Login).
func StartMaster(ctx context.Context, cfg MasterConfig) (_ *Master, err error) {
	if cfg.Persist <= 0 {
		cfg.Persist = DefaultPersist
	}
	if cfg.handshakeWait <= 0 {
		cfg.handshakeWait = localHandshakeWait
	}
	// Every line of the master's log names its target.
	m := &Master{cfg: cfg, log: cfg.Log.With("target", logTarget(cfg.Target)), routes: newRoutes(), started: time.Now(), login: newLogin(),
		stderr: newLoginStderr(cfg.Stderr), slots: make(chan struct{}, maxUnauthenticated)}
	// ctx bounds the start-up only; the master's lifetime is its own and
	// ends in shutdownIf, which also takes the socket down.
	m.ctx, m.cancel = context.WithCancelCause(context.WithoutCancel(ctx))
	m.login.ended = m.ctx.Done() // a stop does not wait for a held failure
	defer func() {
		if err != nil {
			m.cancel(err)
		}
	}()
	if err := m.holdKeys(ctx); err != nil {
		return nil, err
	}
	scope := m.checkTrustScope(ctx)
	hostCfg, err := cfg.Loader.Load(ctx, cfg.Target)
	if err != nil {
		return nil, err
	}
	if cfg.Dial != nil && cfg.Tunnel == nil {
		if err := hostCfg.KeepGo("--via"); err != nil {
			return nil, err
		}
	}
	m.warnings = <-scope
	if hostCfg.Engine != upstream.EngineOpenSSH {
		m.warnings = append(hostCfg.Warnings, m.warnings...)
		for _, w := range hostCfg.Warnings {
			m.log.Warn("config", "warning", w)
		}
	}
	if err := m.checkControlMaster(hostCfg); err != nil {
		return nil, err
	}
	if len(hostCfg.Unclassified) > 0 {
		m.log.Info("config keywords sshshare does not know; passed over", "keywords", hostCfg.Unclassified)
	}
	if err := m.checkEngine(hostCfg); err != nil {
		return nil, err
	}
	m.cfg.Target = resolved(cfg.Target, hostCfg)
	if cfg.Via == "" && cfg.Dial == nil && len(hostCfg.ProxyJump) > 0 && (hostCfg.Engine != upstream.EngineOpenSSH || cfg.Tunnel != nil) {
		m.cfg.Via = upstream.JoinVia(hostCfg.ProxyJump)
	}
	local := filepath.Join(cfg.StateDir, localhop.KnownHostsFile)
	if cfg.Mode != control.OpTunnel {
		// A tunnel master's clients are sshshare itself: no ssh checks its key.
		if err := localhop.CheckTrust(hostCfg, local); err != nil {
			return nil, trustError(cfg, err)
		}
	}
	hostCfg.UserKnownHostsFiles = localhop.WithoutFile(hostCfg.UserKnownHostsFiles, local)
	hostCfg.GlobalKnownHostsFiles = localhop.WithoutFile(hostCfg.GlobalKnownHostsFiles, local)
	m.dialer = &upstream.Dialer{Target: m.cfg.Target, Config: hostCfg, Log: m.log, Prompter: m.login, AuthSock: cfg.AuthSock,
		Heard: m.health.heard, Transport: cfg.Dial, Jump: cfg.Jump, Shell: cfg.Shell, Notes: m.addLoginNote,
		OpenSSH: m.openSSH()}
	if cfg.Stderr != nil {
		m.dialer.Stderr = m.stderr // nil otherwise: the OpenSSH engine asks whether one was lent
	}
	// The master keeps the first ssh's agent for every login it makes,
	// pooled ones and heals included.
	m.log.Info("agent for logins", "socket", cmp.Or(hostCfg.AgentSocket(cfg.AuthSock), "none"))
	if m.ln, err = publish(cfg.Socket, sysio.Listen); err != nil {
		return nil, err
	}
	if err := control.Register(cfg.StateDir, cfg.Socket); err != nil {
		m.ln.Close()
		return nil, err
	}
	go m.logIn(m.ctx)
	return m, nil
}

// holdKeys reads the local host keys (replacing them when they are old,
// see localhop.MasterKeys) and keeps them from being replaced until the
// master's lifetime ends.
func (m *Master) holdKeys(ctx context.Context) error {
	others := func() bool { return control.OtherMastersAlive(m.cfg.StateDir) }
	keys, release, err := localhop.MasterKeys(ctx, m.cfg.StateDir, others)
	if err != nil {
		return err
	}
	m.keys = keys
	context.AfterFunc(m.ctx, func() {
		if err := release(); err != nil {
			m.log.Warn("release local host keys", "err", err)
		}
	})
	return nil
}

// everywhereLoader is a ConfigLoader that can also say what the config
// gives every host (upstream.ConfigLoader.Everywhere).
type everywhereLoader interface {
	Everywhere(ctx context.Context) (map[string]string, error)
}

// checkTrustScope starts looking, beside the config load, for a local
// trust line that applies to every host (see localhop.ScopeWarning), and
// delivers the warning to show, if any. A share master only: tunnel mode
// needs no trust line.
func (m *Master) checkTrustScope(ctx context.Context) <-chan []string {
	out := make(chan []string, 1)
	loader, ok := m.cfg.Loader.(everywhereLoader)
	if !ok || m.cfg.Mode == control.OpTunnel {
		out <- nil
		return out
	}
	go func() {
		everywhere, err := loader.Everywhere(ctx)
		if err != nil {
			m.log.Warn("read the config for every host", "err", err)
			out <- nil
			return
		}
		w := localhop.ScopeWarning(everywhere, filepath.Join(m.cfg.StateDir, localhop.KnownHostsFile))
		if w == "" {
			out <- nil
			return
		}
		m.log.Warn("local trust", "warning", w)
		out <- []string{w}
	}()
	return out
}

// trustError is a failed local-trust check. A master that does not know
// the alias read only the Host blocks of the host name: the set-up line
// may be in the alias's block, and the fix is then to name the alias.
func trustError(cfg MasterConfig, err error) error {
	if cfg.Target.Alias != "" {
		return err
	}
	why := ""
	if cfg.SSHOptionsUnread != "" {
		why = " (" + cfg.SSHOptionsUnread + ")"
	}
	return hint.With(err, fmt.Sprintf("%s; if it is in a Host block for an alias, sshshare read only the blocks for %s%s: add `--alias %%n` to sshshare's ProxyCommand line",
		hint.Of(err), cfg.Target.Host, why))
}

// resolved fills a target's missing user and port from the ssh config.
func resolved(t upstream.Target, cfg upstream.HostConfig) upstream.Target {
	if t.User == "" {
		t.User = cfg.User
	}
	if t.Port == 0 {
		t.Port = cfg.Port
	}
	return t
}

// Login is the master's upstream login; its Done channel closes when the
// master is logged in or has failed to.
func (m *Master) Login() *Login { return m.login }

// Warnings are the lines the ssh that started the master should show: the
// config keywords it does not apply upstream.
func (m *Master) Warnings() []string { return m.warnings }

// LoginNotes are the lines the ssh that started the master should show
// once the login has finished, as ssh would have shown them during its
// own login (a host key it recorded).
func (m *Master) LoginNotes() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.loginNotes)
}

// addLoginNote keeps a line for LoginNotes.
func (m *Master) addLoginNote(line string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.loginNotes = append(m.loginNotes, line)
}

// logIn makes the primary upstream connection. On failure the master
// answers the clients already waiting, then exits.
func (m *Master) logIn(ctx context.Context) {
	primary, err := m.dialer.Dial(ctx)
	m.stderr.Close()
	if err != nil && ctx.Err() != nil {
		m.login.finish(fmt.Errorf("log in: %w", context.Cause(ctx))) // stopped meanwhile
		return
	}
	if err != nil {
		m.log.Error("login", "err", err)
		m.noteError("login: " + err.Error())
		control.RecordFailure(m.cfg.Socket, err)
		m.login.finish(err)
		time.Sleep(loginFailGrace) // let waiting clients hear why
		m.shutdown("login failed")
		return
	}
	m.identity.Store(primary.Identity)
	extra := *m.dialer
	extra.Prompter = nil // pooled connections never ask: they queue instead
	extra.Heard = nil    // only the primary's health decides the master's
	extra.Stderr = nil   // the starting ssh hears only the login's ProxyCommand
	extra.Notes = nil    // and only the login's notes
	m.pool = newPool(primary, extra.Dial, m.serveUpstream, m.log)
	m.pool.life = m.ctx
	m.pool.open = m.openWatched
	m.pool.spares = true
	m.log.Info("master ready", "resolved", m.cfg.Target.String(), "socket", m.cfg.Socket,
		"alias", m.cfg.Target.Alias, "ssh_options", m.cfg.SSHOptions, "identity", primary.Identity)
	m.health.heard()
	m.openMuxDoor()
	m.login.finish(nil)
	forgetLogin()
	select {
	case <-m.ctx.Done():
		// Stopped as the login finished: closePool may have run before
		// the pool existed.
		m.pool.Close()
		return
	default:
	}
	go m.watchUpstream()
	go m.keepalive()
	go m.pool.refill()
}

// Serve accepts local clients until the master shuts down, and returns why.
func (m *Master) Serve() error {
	m.mu.Lock()
	m.idle = time.AfterFunc(m.cfg.Persist, m.expire)
	m.mu.Unlock()
	err := acceptLoop(m.ctx, m.ln, m.slots, m.log, func(conn net.Conn, release func()) {
		m.conns.Add(1)
		go func() {
			defer m.conns.Done()
			defer release()
			m.serveConn(conn, release)
		}()
	})
	if err != nil {
		// Not recorded as a failure for waiting invocations: they start a
		// fresh master instead.
		m.log.Error("accept", "err", err)
		m.shutdown("accept: " + err.Error())
	}
	<-m.ctx.Done()
	m.closePool()
	m.waitConns()
	if left := upstream.EndCommands(); len(left) > 0 {
		m.log.Warn("exit with ProxyCommands not reaped", "commands", left)
	}
	m.log.Info("master exit", "reason", context.Cause(m.ctx))
	return nil
}

// exitWait bounds how long an ending master waits for its local
// connections to wind up once it has closed them.
const exitWait = 5 * time.Second

// waitConns waits, up to exitWait, for the goroutines serving local
// connections to return.
func (m *Master) waitConns() {
	done := make(chan struct{})
	go func() {
		m.conns.Wait()
		close(done)
	}()
	t := time.NewTimer(exitWait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		m.log.Warn("exit with local connections still being served")
	}
}

// errClientLeft ends a local connection's context when it is done with.
var errClientLeft = errors.New("local client left")

// errInvocationGone ends a local connection whose invocation exited after
// handing over ssh's pipes.
var errInvocationGone = errors.New("invocation exited")

// serveConn checks the peer, reads its hello and runs the operation.
// The connection's context ends when it is done with, or when the master
// ends, which closes the connection. release gives back the connection's
// slot (see maxUnauthenticated): after the hello, or for a share client
// once its SSH handshake has ended.
func (m *Master) serveConn(conn net.Conn, release func()) {
	defer conn.Close()
	ctx, cancel := context.WithCancelCause(m.ctx)
	defer cancel(errClientLeft)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := sysio.CheckPeer(conn); err != nil {
		m.log.Warn("refused local connection", "err", err)
		return
	}
	conn.SetDeadline(time.Now().Add(control.HelloTimeout))
	hello, err := control.ReadHello(conn)
	var skew *control.VersionError
	if errors.As(err, &skew) {
		// An sshshare of another version: it starts a master of its own.
		m.log.Info("hello of another protocol version", "err", err)
		control.WriteReply(conn, control.Reply{Retry: true, Error: err.Error()})
		return
	}
	if err != nil {
		m.log.Warn("bad hello", "err", err)
		control.WriteReply(conn, control.Reply{Error: err.Error()})
		return
	}
	conn.SetDeadline(time.Time{})
	if hello.Op != control.OpShare {
		release()
	}
	switch hello.Op {
	case control.OpShare:
		if hello.Starter {
			m.login.Starter(hello.CanPrompt)
		}
		r := m.clientJoined(conn, control.DoorProxyCommand)
		defer m.clientLeft(r)
		m.share(ctx, conn, hello, release, r.pid)
	case control.OpTunnel:
		m.tunnel(conn, hello)
	case control.OpStatus:
		control.WriteReply(conn, control.Reply{OK: true, Status: m.Status()})
	case control.OpStop:
		control.WriteReply(conn, control.Reply{OK: true})
		m.Stop(hello.Drain)
	}
}

// share admits a client unless the master is going away, in which case the
// client is told to retry with a fresh master. Only the starter is admitted
// before the login has finished; others hear how it ended. The client
// counts once its SSH handshake has finished (see arrive); release is
// called then. pid is the client's ssh (see rider), for status.
func (m *Master) share(ctx context.Context, conn net.Conn, hello control.Hello, release func(), pid int) {
	starter := hello.Starter
	if !m.upstreamAlive() || !m.arrive() {
		control.WriteReply(conn, control.Reply{Retry: true, Error: "master is exiting"})
		return
	}
	joined := false
	defer func() {
		if joined {
			m.leave()
		} else {
			m.arrived(false)
		}
	}()
	if !starter {
		if err := m.awaitLogin(); err != nil {
			control.WriteReply(conn, control.Reply{Error: err.Error(), Hint: hint.Of(err)})
			return
		}
	}
	stdio := hello.Stdio && sysio.CanPassFds
	if err := control.WriteReply(conn, control.Reply{OK: true, Pid: m.pid(), Stdio: stdio}); err != nil {
		return
	}
	var nc net.Conn = conn
	if stdio {
		sc, err := sysio.RecvStdio(conn)
		if err != nil {
			m.log.Warn("hand-over", "err", err)
			return
		}
		nc = sc
		var cancel context.CancelCauseFunc
		ctx, cancel = context.WithCancelCause(ctx)
		defer cancel(errClientLeft)
		go watchInvocation(ctx, conn, sc, cancel)
	}
	nc = sysio.BatchWrites(sysio.ReadBuffered(sysio.RawIO(nc), sysio.ClientReadBuffer))
	defer nc.Close() // ends the batching goroutine, closes ssh's pipes
	pipes := nc
	stop := context.AfterFunc(ctx, func() { pipes.Close() })
	defer stop()
	nc, offer := readAhead(nc, localVersion)
	cfg := m.serverConfig(offer, starter)
	unhurriedAuth(cfg, nc, m.cfg.handshakeWait)
	nc.SetDeadline(time.Now().Add(m.cfg.handshakeWait))
	m.serveShare(ctx, nc, cfg, pid, func() {
		nc.SetDeadline(time.Time{})
		release()
		joined = true
		m.arrived(true)
	})
}

// localHandshakeWait bounds a local ssh's own part of its SSH handshake:
// from its version line to its last authentication request, leaving out
// the time the master spends waiting for its upstream login (and for the
// user's answers to that login's questions; see unhurriedAuth). A local
// ssh does that part in milliseconds; this is for a client that went
// silent, which otherwise would hold the master (it is waited for, as a
// client) for ever. It leaves a person time to answer a host-key question
// ssh may ask about the local key.
const localHandshakeWait = 30 * time.Second

// unhurriedAuth stops conn's deadline while cfg's authentication
// callbacks wait for the upstream login, and sets it to wait from now
// when they return: only the client's own time counts against it.
func unhurriedAuth(cfg *ssh.ServerConfig, conn net.Conn, wait time.Duration) {
	pause := func() func() {
		conn.SetDeadline(time.Time{})
		return func() { conn.SetDeadline(time.Now().Add(wait)) }
	}
	none, kbd, password := cfg.NoClientAuthCallback, cfg.KeyboardInteractiveCallback, cfg.PasswordCallback
	if none != nil {
		cfg.NoClientAuthCallback = func(md ssh.ConnMetadata) (*ssh.Permissions, error) {
			defer pause()()
			return none(md)
		}
	}
	if kbd != nil {
		cfg.KeyboardInteractiveCallback = func(md ssh.ConnMetadata, challenge ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			defer pause()()
			return kbd(md, challenge)
		}
	}
	if password != nil {
		cfg.PasswordCallback = func(md ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			defer pause()()
			return password(md, pw)
		}
	}
}

// watchInvocation ends a client's connection when its invocation exits
// after handing over ssh's pipes (sc). The invocation sends nothing more
// and waits for the master to close conn: EOF means it has exited (it
// printed why a login failed, or was killed), and ssh must see its
// connection end now, as when a splice ends. ssh's input is closed first,
// so it ends on EOF; the connection's context (ctx, cancelled by cancel)
// ends once ssh has, or after invocationGoneWait.
func watchInvocation(ctx context.Context, conn, sc net.Conn, cancel context.CancelCauseFunc) {
	io.Copy(io.Discard, conn)
	if cw, ok := sc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		t := time.NewTimer(invocationGoneWait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done(): // ssh has ended, or the master is ending
		}
	}
	cancel(errInvocationGone)
}

// invocationGoneWait bounds how long ssh is given to end on EOF once its
// invocation has exited.
const invocationGoneWait = 2 * time.Second

// localVersion is the master's SSH version line.
const localVersion = "SSH-2.0-sshshare"

// serverConfig is the local SSH server's config for a client that offered
// offer, with authentication that waits for (or answers) the upstream
// login.
func (m *Master) serverConfig(offer clientOffer, starter bool) *ssh.ServerConfig {
	key, err := m.keys.For(offer.hostKeys)
	if err != nil {
		m.log.Warn("local host key", "err", err)
	}
	cfg := localConfig(key, offer)
	m.login.serverAuth(cfg, starter)
	return cfg
}

// admit counts a new client, unless the master is closing or draining.
func (m *Master) admit() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closing || m.draining {
		return false
	}
	m.clients++
	m.idle.Stop()
	return true
}

// arrive counts a share client whose SSH handshake is under way, unless
// the master is closing or draining. Such a client is not yet a client
// (status does not count it, and the idle timer keeps running), but the
// master does not end under it while it may still become one: the
// handshake is bounded (localHandshakeWait), so a client that says
// nothing holds the master no longer than that.
func (m *Master) arrive() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closing || m.draining {
		return false
	}
	m.arriving++
	return true
}

// arrived ends an arriving client's handshake: it is a client now (ok,
// and leave must follow), or it has gone. The idle timer may have found
// it arriving and passed; it is set again for what is left of the window.
func (m *Master) arrived(ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.arriving--
	if ok {
		m.clients++
		m.idle.Stop()
		return
	}
	if m.clients > 0 || m.arriving > 0 {
		return
	}
	if m.draining {
		go m.shutdown("drained")
		return
	}
	m.idle.Reset(max(0, m.cfg.Persist-time.Since(m.idleSince())))
}

// idleSince is when the master last had no client: when the last one
// left, or its start.
func (m *Master) idleSince() time.Time {
	if n := m.stats.lastUsed.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return m.started
}

// leave uncounts a client and arms the idle timer after the last one.
func (m *Master) leave() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.clients--
	m.stats.lastUsed.Store(time.Now().UnixNano())
	if m.clients > 0 {
		return
	}
	if m.draining && m.arriving == 0 {
		go m.shutdown("drained")
		return
	}
	m.idle.Reset(m.cfg.Persist)
}

// expire ends the master after its persist window, unless a client came.
func (m *Master) expire() {
	m.shutdownIf("idle for "+m.cfg.Persist.String(), func() bool { return m.clients == 0 && m.arriving == 0 })
}

// Stop ends the master now, or once its clients have left (drain).
func (m *Master) Stop(drain bool) {
	if !drain {
		control.RecordStop(m.cfg.Socket, m.pid())
		m.shutdown("stopped")
		return
	}
	m.mu.Lock()
	m.draining = true
	idle := m.clients == 0 && m.arriving == 0
	m.mu.Unlock()
	m.unpublish()
	if idle {
		m.shutdown("drained")
	}
}

// watchUpstream heals or ends the master when its primary upstream
// connection ends.
func (m *Master) watchUpstream() {
	for {
		up := m.pool.primary()
		err := up.Conn.Wait()
		if m.pool.primary() == up {
			m.upstreamDead(up.Conn, fmt.Sprintf("upstream closed: %v", err))
		}
		if m.pool.primary() == up || m.isClosing() {
			return
		}
	}
}

// shutdown ends the master unconditionally.
func (m *Master) shutdown(reason string) {
	m.shutdownIf(reason, func() bool { return true })
}

// shutdownIf closes the listener and removes the socket under the start-up
// lock, if ok still holds once the lock is held, then ends the master. An
// invocation that arrives meanwhile either was admitted before (and is
// served) or finds no master under the lock and starts a fresh one: never
// an error.
func (m *Master) shutdownIf(reason string, ok func() bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	release, err := lock.Acquire(ctx, m.cfg.Socket)
	if err != nil {
		m.log.Warn("shutdown without lock", "err", err)
	}
	m.mu.Lock()
	if m.closing || !ok() {
		m.mu.Unlock()
		if release != nil {
			release()
		}
		return
	}
	m.closing = true
	m.mu.Unlock()
	m.unpublish()
	m.ln.removeMoved(control.Unregister(m.cfg.StateDir, m.cfg.Socket))
	if release != nil {
		release()
	}
	m.closeMuxForwards()
	m.closePool()
	if m.endingLost() {
		m.awaitClientsLeft(lostLeaveWait) // they print why, then leave
	}
	m.cancel(errors.New(reason))
}

// closePool closes the upstream connections, if the login made any.
func (m *Master) closePool() {
	if p := m.loggedIn(); p != nil {
		p.Close()
	}
}

// loggedIn is the pool once the login has made it, else nil: pool is
// written once, by the login, before Login().Done() closes.
func (m *Master) loggedIn() *upPool {
	select {
	case <-m.login.Done():
		return m.pool
	default:
		return nil
	}
}

// unpublish stops accepting and removes the socket if it is still ours.
func (m *Master) unpublish() {
	if err := m.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		m.log.Warn("close listener", "err", err)
	}
	m.closeMuxDoor()
}

// noteError records a problem for status, besides the log.
func (m *Master) noteError(msg string) {
	m.lastErr.Store(time.Now().Format(time.TimeOnly) + " " + msg)
}

// pid is the master's process id, for status.
func (m *Master) pid() int { return os.Getpid() }
