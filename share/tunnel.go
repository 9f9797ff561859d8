package share

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// Tunnel mode (`--via [user@]bastion[:port]`): the master holds one login
// to a bastion; each invocation's stdio is spliced to a direct-tcpip
// channel of it to the target, and stock ssh logs in to the target end to
// end, with its own keys and its own host key check.

// ParseVia parses a --via chain "a,b,c" of [user@]host[:port] hops.
func ParseVia(s string) ([]Target, error) {
	var hops []Target
	for _, part := range strings.Split(s, ",") {
		t, err := ParseTarget(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("--via: %w", err)
		}
		hops = append(hops, t)
	}
	return hops, nil
}

// DialTunnel returns a connection to host:port through the master's
// upstream, starting the master if needed and answering its login
// questions with inv.Prompt.
func (inv *Invocation) DialTunnel(ctx context.Context, host string, port int) (net.Conn, error) {
	hello := Hello{Version: ProtocolVersion, Op: OpTunnel, Host: host, Port: port}
	conn, err := dialOp(inv.Socket, hello)
	var refused *RefusedError
	if err == nil || errors.As(err, &refused) {
		return conn, err
	}
	if err := inv.EnsureLoggedIn(ctx); err != nil {
		return nil, err
	}
	return dialOp(inv.Socket, hello)
}

// Stopped explains a connection to this invocation's master that ended
// because the master was stopped on request, or returns nil.
func (inv *Invocation) Stopped(conn net.Conn) error { return inv.stopped(conn) }

// TryTunnel is DialTunnel's fast path: no lock, no start-up.
func (inv *Invocation) TryTunnel(host string, port int) (net.Conn, error) {
	return dialOp(inv.Socket, Hello{Version: ProtocolVersion, Op: OpTunnel, Host: host, Port: port})
}

// EnsureLoggedIn connects to (or starts) the master and waits for its
// login, answering its questions here as `sshshare start` does.
func (inv *Invocation) EnsureLoggedIn(ctx context.Context) error {
	conn, starting, err := inv.Connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	keys, err := HostKeys(inv.StateDir)
	if err != nil {
		return err
	}
	ask := inv.Prompt
	if ask == nil {
		ask = func(Question) ([]string, error) { return nil, ErrNoTerminal }
	}
	loginErr := StartClient(ctx, conn, keys.HostKeyCallback(), inv.Target.User, ask)
	if starting != nil {
		if err := starting.Wait(); err != nil {
			return err
		}
	}
	return loginErr
}

// directTCPIPMsg is the extra data of a direct-tcpip channel open.
type directTCPIPMsg struct {
	Host       string
	Port       uint32
	OriginHost string
	OriginPort uint32
}

// tunnels counts the master's live tunnels by target.
type tunnels struct {
	mu      sync.Mutex
	targets map[string]int
}

// add counts a tunnel to target and returns the function that uncounts it.
func (t *tunnels) add(target string) func() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.targets == nil {
		t.targets = make(map[string]int)
	}
	t.targets[target]++
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.targets[target]--; t.targets[target] == 0 {
			delete(t.targets, target)
		}
	}
}

// snapshot returns the live tunnels' count and targets.
func (t *tunnels) snapshot() (int, []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, targets := 0, []string{}
	for target, c := range t.targets {
		n += c
		targets = append(targets, target)
	}
	return n, targets
}

// tunnel serves a tunnel hello: a direct-tcpip channel to the target,
// spliced to conn. A target the bastion refuses is answered with one clear
// line; the master and its other tunnels carry on.
func (m *Master) tunnel(conn net.Conn, h Hello) {
	if !m.upstreamAlive() || !m.admit() {
		writeFrame(conn, Reply{Retry: true, Error: "master is exiting"})
		return
	}
	defer m.leave()
	if err := m.awaitLogin(); err != nil {
		writeFrame(conn, Reply{Error: err.Error(), Hint: Hint(err)})
		return
	}
	target := net.JoinHostPort(h.Host, strconv.Itoa(h.Port))
	extra := ssh.Marshal(directTCPIPMsg{Host: h.Host, Port: uint32(h.Port), OriginHost: "127.0.0.1"})
	ch, reqs, err := m.openRetried("direct-tcpip", extra)
	var oe *ssh.OpenChannelError
	if err != nil && !errors.As(err, &oe) {
		writeFrame(conn, Reply{Retry: true, Error: err.Error()})
		return
	}
	if err != nil {
		writeFrame(conn, Reply{Error: refusal(m.cfg.Target, target, err)})
		return
	}
	go ssh.DiscardRequests(reqs)
	defer ch.Close()
	if writeFrame(conn, Reply{OK: true, Pid: m.pid()}) != nil {
		return
	}
	defer m.tunnelsLive.add(target)()
	m.spliceChannel(conn, ch)
}

// awaitLogin waits for the master's login, bounded by loginWait.
func (m *Master) awaitLogin() error {
	t := time.NewTimer(loginWait)
	defer t.Stop()
	select {
	case <-m.login.Done():
		return m.login.Err()
	case <-t.C:
		return errors.New("master login still under way")
	}
}

// refusal phrases a failed direct-tcpip open: "bastion refused host:port:
// connect failed".
func refusal(bastion Target, target string, err error) string {
	var oe *ssh.OpenChannelError
	if errors.As(err, &oe) {
		reason := oe.Reason.String()
		if oe.Message != "" && oe.Message != reason {
			reason += " (" + oe.Message + ")"
		}
		return fmt.Sprintf("bastion refused %s: %s", target, reason)
	}
	return fmt.Sprintf("bastion %s: open %s: %v", bastion, target, err)
}

// spliceChannel copies between a local connection and a channel until both
// directions have ended, passing half-closes on.
func (m *Master) spliceChannel(conn net.Conn, ch ssh.Channel) {
	done := make(chan struct{})
	go func() {
		copyCounted(ch, conn, &m.stats.bytesOut)
		ch.CloseWrite()
		close(done)
	}()
	copyCounted(conn, ch, &m.stats.bytesIn)
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	<-done
}
