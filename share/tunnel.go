package share

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/upstream"
	"golang.org/x/crypto/ssh"
)

// Tunnel mode (`--via [user@]bastion[:port]`): the master holds one login
// to a bastion; each invocation's stdio is spliced to a direct-tcpip
// channel of it to the target, and stock ssh logs in to the target end to
// end, with its own keys and its own host key check.

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
func (m *Master) tunnel(conn net.Conn, h control.Hello) {
	if !m.upstreamAlive() || !m.admit() {
		control.WriteReply(conn, control.Reply{Retry: true, Error: "master is exiting"})
		return
	}
	defer m.leave()
	if err := m.awaitLogin(); err != nil {
		control.WriteReply(conn, control.Reply{Error: err.Error(), Hint: hint.Of(err)})
		return
	}
	target := net.JoinHostPort(h.Host, strconv.Itoa(h.Port))
	extra := ssh.Marshal(directTCPIPMsg{Host: h.Host, Port: uint32(h.Port), OriginHost: "127.0.0.1"})
	ch, reqs, err := m.openRetried("direct-tcpip", extra)
	var oe *ssh.OpenChannelError
	if err != nil && !errors.As(err, &oe) {
		control.WriteReply(conn, control.Reply{Retry: true, Error: err.Error()})
		return
	}
	if err != nil {
		control.WriteReply(conn, control.Reply{Error: refusal(m.cfg.Target, target, err)})
		return
	}
	go ssh.DiscardRequests(reqs)
	defer ch.Close()
	if control.WriteReply(conn, control.Reply{OK: true, Pid: m.pid()}) != nil {
		return
	}
	defer m.tunnelsLive.add(target)()
	m.spliceChannel(conn, ch)
}

// awaitLogin waits for the master's login, bounded by control.LoginWait.
func (m *Master) awaitLogin() error {
	t := time.NewTimer(control.LoginWait)
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
func refusal(bastion upstream.Target, target string, err error) string {
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
