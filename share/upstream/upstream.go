package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/sysio"
	"github.com/sshshare/sshshare/tokens"
	"golang.org/x/crypto/ssh"
)

// Upstream is one authenticated SSH connection from the master to the
// target, with the channels and requests the server opens on it.
type Upstream struct {
	Conn  ssh.Conn
	Chans <-chan ssh.NewChannel
	Reqs  <-chan *ssh.Request
	// Identity is the public key the server accepted, as "ED25519
	// SHA256:…"; "" when no key was used (password, keyboard-interactive).
	Identity string
	// Engine is EngineOpenSSH for a connection through an engine ssh,
	// whose process id is EnginePID; "" for the Go engine's.
	Engine    string
	EnginePID int
	// Priority lets the connection's terminal sessions go before its
	// bulk ones; nil (no priority) for the OpenSSH engine's connections
	// and for routes whose unread bytes cannot be counted.
	Priority *Priority
}

// Dialer logs in to the target the way ssh would with the user's config.
type Dialer struct {
	Target Target
	Config HostConfig
	Log    *slog.Logger
	// Prompter asks the user for passwords, answers, passphrases and host
	// key decisions; nil means the login must not ask anything.
	Prompter Prompter
	// AuthSock is SSH_AUTH_SOCK of the environment ssh ran in: the agent
	// when the config's IdentityAgent does not name another.
	AuthSock string
	// Heard, if set, is called whenever bytes arrive from the upstream.
	Heard func()
	// Transport, if set, opens the connection to host:port instead of TCP:
	// through another master for --via chains, or to an in-process server
	// in tests.
	Transport func(ctx context.Context, host string, port int) (net.Conn, error)
	// Jump opens a connection to host:port through the masters of the
	// jump hosts hops, first hop first: how the config's ProxyJump is
	// dialled when Transport is not set (cmd builds it from the --via
	// machinery). Nil refuses a ProxyJump.
	Jump func(ctx context.Context, hops []Target, host string, port int) (net.Conn, error)
	// Shell runs the config's ProxyCommand, as ssh runs it with $SHELL;
	// "" means /bin/sh.
	Shell string
	// Stderr, if set, gets what a ProxyCommand prints on its stderr as it
	// prints it, besides the log: the stderr of the ssh that started the
	// master, during its login, so a login URL reaches the user.
	Stderr io.Writer
	// Notes, if set, gets the lines ssh would show the user during the
	// login, such as the "Permanently added" warning of a host key
	// recorded under StrictHostKeyChecking no or accept-new.
	Notes func(string)

	// providers caches the PKCS11Provider's keys: made by the first Dial,
	// shared by the copies of the Dialer made after it (the master's
	// pooled connections and heals), which then do not list them again.
	providers *providerList
	// pin is the host key the first Dial accepted, shared like providers:
	// every later login of the master must present it (see HostKeyPin).
	pin *HostKeyPin

	// OpenSSH, if set, runs the user's ssh for a config whose Engine is
	// EngineOpenSSH (see openssh.go).
	OpenSSH *OpenSSH

	// kex watches this connection's key exchange (set by Dial for its
	// login), for the agent's session-bind.
	kex *kexSniffer
}

// heardConn calls heard on every successful read: the master's cheapest
// evidence that its upstream is alive.
type heardConn struct {
	net.Conn
	heard func()
}

func (c heardConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.heard()
	}
	return n, err
}

// defaultConnectTimeout bounds a TCP connect when ConnectTimeout is unset,
// so a dead network fails instead of hanging the waiting ssh.
const defaultConnectTimeout = 30 * time.Second

// Dial connects and authenticates one upstream connection.
func (d *Dialer) Dial(ctx context.Context) (*Upstream, error) {
	if d.providers == nil {
		d.providers = &providerList{}
	}
	if d.pin == nil {
		d.pin = &HostKeyPin{}
	}
	if d.Config.Engine == EngineOpenSSH {
		return d.dialOpenSSH(ctx)
	}
	// A list the upstream cannot honour fails before any connection.
	if err := d.Config.Algorithms.Check(); err != nil {
		return nil, err
	}
	addr := net.JoinHostPort(d.Config.HostName, strconv.Itoa(d.Config.Port))
	conn, err := d.dialConn(ctx, addr)
	if err != nil {
		return nil, err
	}
	raw := conn
	conn = sysio.RawIO(conn)
	kex := &kexSniffer{Conn: conn}
	conn = kex
	if d.Heard != nil {
		conn = heardConn{Conn: conn, heard: d.Heard}
	}
	conn = sysio.ReadBuffered(conn, sysio.UpstreamReadBuffer)
	prio := newPriority(backlogOf(raw, conn))
	conn = sysio.BatchWrites(prio.watchReads(conn))
	login := *d
	if d.Prompter != nil {
		login.Prompter = &unhurried{Prompter: d.Prompter, conn: conn, wait: d.handshakeWait()}
	}
	login.kex = kex
	up, err := login.logIn(ctx, conn, addr)
	if err != nil {
		conn.Close()
		return nil, err
	}
	up.Priority = prio
	return up, nil
}

// logIn runs the SSH handshake and authentication over conn.
func (d *Dialer) logIn(ctx context.Context, conn net.Conn, addr string) (*Upstream, error) {
	check, err := d.hostKeyCheck(ctx)
	if err != nil {
		return nil, err
	}
	algorithms, err := check.algorithms(d.Config.HostName, d.Config.Port)
	if err != nil {
		return nil, err
	}
	algos, err := d.Config.Algorithms.negotiated()
	if err != nil {
		return nil, err
	}
	keys := &keyring{ctx: ctx, providers: d.providers, cfg: d.Config, target: d.Target, log: d.Log, authSock: d.AuthSock, prompter: d.promptIfInteractive(), kex: d.kex}
	defer keys.close()
	cc := &ssh.ClientConfig{
		Config:            ssh.Config{Ciphers: algos.ciphers, KeyExchanges: algos.kex, MACs: algos.macs},
		User:              d.Config.User,
		Auth:              d.authMethods(keys),
		HostKeyCallback:   check.callback(d.Config.HostName, d.Config.Port),
		HostKeyAlgorithms: d.pin.first(hostKeyOrder(algos.hostKeys, algorithms)),
		ClientVersion:     "SSH-2.0-sshshare",
		Timeout:           d.ConnectTimeout(),
	}
	if d.Config.PubkeyAuthentication {
		cc.AuthCallback = keys.lateKeys
	}
	cc.RekeyThreshold = d.Config.Network.RekeyBytes
	up, err := d.handshake(ctx, conn, addr, cc)
	if err != nil {
		return nil, d.loginError(addr, err, keys)
	}
	up.Identity = keys.signed.identity()
	return up, nil
}

// hostKeyCheck builds the upstream host key check from every trust source
// of the config: known hosts files, KnownHostsCommand, RevokedHostKeys,
// NoHostAuthenticationForLocalhost and VerifyHostKeyDNS.
func (d *Dialer) hostKeyCheck(ctx context.Context) (*hostKeyCheck, error) {
	check, err := newHostKeyCheck(d.Config)
	if err != nil {
		return nil, err
	}
	check.Prompter = d.promptIfInteractive()
	check.ctx = ctx
	check.Localhost = d.Config.NoHostAuthForLocalhost
	check.Direct = d.route() == nil
	check.VerifyDNS = d.Config.VerifyHostKeyDNS
	check.CheckHostIP = d.Config.CheckHostIP
	check.Pin = d.pin
	check.Note = d.note
	v, err := tokens.Local(d.Config.User, d.Config.HostName, strconv.Itoa(d.Config.Port), d.Target.configHost())
	if err != nil {
		return nil, err
	}
	v.HostKeyAlias = d.Config.HostKeyAlias
	check.Revoked = revocation{Wait: d.handshakeWait()}
	for _, f := range d.Config.RevokedHostKeys {
		path, err := tokens.Expand(f, v)
		if err != nil {
			return nil, fmt.Errorf("RevokedHostKeys %s: %w", f, err)
		}
		check.Revoked.Files = append(check.Revoked.Files, sysio.Abs(path))
	}
	check.Command, err = newKnownHostsCommand(ctx, d.Config.KnownHostsCommand, v, d.handshakeWait())
	return check, err
}

// note logs a line ssh would show the user, and passes it to Notes
// unless LogLevel silences it, as `-o LogLevel=ERROR` silences ssh's.
func (d *Dialer) note(line string) {
	if d.Log != nil {
		d.Log.Info("host key", "note", line)
	}
	if d.Notes != nil && !quietLevel(d.Config.LogLevel) {
		d.Notes(line)
	}
}

// quietLevel reports whether ssh at LogLevel level leaves out INFO lines.
func quietLevel(level string) bool {
	switch strings.ToUpper(level) {
	case "QUIET", "FATAL", "ERROR":
		return true
	}
	return false
}

// unhurried lifts the handshake's deadline while the user is being asked:
// typing a password and approving an MFA push may take longer than a
// silent server is given. The server's own LoginGraceTime still applies.
// Once asking has failed (nobody to ask, the asker gone, or a question the
// asker cannot take) every later question of the login fails the same way
// at once: the login ends with that reason instead of waiting to ask
// again.
type unhurried struct {
	Prompter
	conn   net.Conn
	wait   time.Duration
	failed error
}

// Ask asks with no deadline on the connection, then restores one.
func (u *unhurried) Ask(q Question) ([]string, error) {
	if u.failed != nil {
		return nil, u.failed
	}
	u.conn.SetDeadline(time.Time{})
	defer u.conn.SetDeadline(time.Now().Add(u.wait))
	answers, err := u.Prompter.Ask(q)
	u.failed = err
	return answers, err
}

// handshakeWait bounds each silent stretch of a login.
func (d *Dialer) handshakeWait() time.Duration { return d.ConnectTimeout() + 30*time.Second }

// bannerWait bounds the handshake up to the first question to the user:
// handshakeWait, except through the config's ProxyCommand with no
// ConnectTimeout set (ssh -G's `connecttimeout none`). There ssh waits for
// the server's banner as long as the command takes, and a command may
// first wait for a login in the browser (cloudflared, aws ssm), so the
// master waits as long as the ssh that started it does: control.LoginWait.
func (d *Dialer) bannerWait() time.Duration {
	if d.Config.ConnectTimeout == 0 && d.Transport == nil && d.Config.ProxyCommand != "" {
		return control.LoginWait
	}
	return d.handshakeWait()
}

// ConnectTimeout is the config's ConnectTimeout, or the default.
func (d *Dialer) ConnectTimeout() time.Duration {
	if d.Config.ConnectTimeout > 0 {
		return d.Config.ConnectTimeout
	}
	return defaultConnectTimeout
}

// dialConn opens the connection: through the route (Transport, or the
// config's ProxyCommand or ProxyJump) bounded by ConnectTimeout, or over
// TCP as the config's network keywords say (each attempt bounded by
// ConnectTimeout, as ssh bounds each).
func (d *Dialer) dialConn(ctx context.Context, addr string) (conn net.Conn, err error) {
	if dial := d.route(); dial != nil {
		ctx, cancel := context.WithTimeout(ctx, d.ConnectTimeout())
		defer cancel()
		conn, err = dial(ctx, d.Config.HostName, d.Config.Port)
	} else {
		conn, err = d.Config.Network.dial(ctx, d.Config.HostName, d.Config.Port, d.ConnectTimeout())
	}
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	return conn, nil
}

// handshake runs the SSH handshake and login over conn, bounded by ctx and
// bannerWait (a silent server must not hang the master).
func (d *Dialer) handshake(ctx context.Context, conn net.Conn, addr string, cc *ssh.ClientConfig) (*Upstream, error) {
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	conn.SetDeadline(time.Now().Add(d.bannerWait()))
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cc)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	return &Upstream{Conn: c, Chans: chans, Reqs: reqs}, nil
}

// loginError phrases a failed handshake for the user. A key the master
// cannot use, which the server accepted, is the reason itself; keys that
// declined to sign are named, with the likely causes.
func (d *Dialer) loginError(addr string, err error, keys *keyring) error {
	var hk *HostKeyError
	if errors.As(err, &hk) {
		return err
	}
	if nerr, ok := negotiationError(addr, err); ok {
		return nerr
	}
	if keys.halted != nil && !errors.Is(err, ErrNoPrompter) && !errors.Is(err, ErrPrompterGone) {
		return keys.halted
	}
	if d.gssapiDecided(err, keys) {
		return ErrGSSAPI
	}
	if errors.Is(err, ErrNoPrompter) || errors.Is(err, ErrPrompterGone) {
		return hint.With(fmt.Errorf("log in to %s@%s: %w", d.Config.User, addr, err),
			"run ssh in a terminal, set SSH_ASKPASS, or load a key into ssh-agent")
	}
	err = fmt.Errorf("log in to %s@%s (tried %s): %w", d.Config.User, addr, d.methodNames(), err)
	if len(keys.declined) > 0 && hint.Of(err) == "" {
		return hint.With(fmt.Errorf("%w; keys that could not sign: %s", err, strings.Join(keys.declined, "; ")),
			"an agent key refuses to sign when its confirmation (ssh-add -c) is declined, its security key is not touched, or it is destination-constrained (ssh-add -h) to other hosts")
	}
	return err
}

// promptIfInteractive is the prompter, or nil when asking is not allowed.
func (d *Dialer) promptIfInteractive() Prompter {
	if d.interactive() {
		return d.Prompter
	}
	return nil
}
