package share

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/sshshare/sshshare/share/upstream"
)

// Agent forwarding through the mux door. A mux client's ssh sends only
// "want agent": its agent is not on the wire, as it is on the ProxyCommand
// door's local hop. OpenSSH's ControlMaster forwards its own agent
// instead, the first ssh's. sshshare's master reads the client's agent
// socket the way that ssh would choose it (its ForwardAgent, else
// IdentityAgent, else its SSH_AUTH_SOCK, from its command line and its
// environment, through its pid) and connects to that socket itself for
// each agent channel the server opens. The session is then placed as a
// ProxyCommand-door session with an agent is (agentfwd.go): on an
// upstream connection that forwards that agent or none. Where the socket
// cannot be known, the session goes to the ProxyCommand door.

// errAgentUnknown sends a session that asks for agent forwarding to the
// ProxyCommand door: the master cannot tell which agent its ssh forwards.
var errAgentUnknown = errors.New("agent forwarding goes through sshshare's ProxyCommand")

// muxAgentSocket is the agent socket a mux client's ssh forwards: its
// ForwardAgent when that names a socket, else the agent it logs in with
// (IdentityAgent, else its SSH_AUTH_SOCK); "" when it forwards none.
func muxAgentSocket(cfg upstream.HostConfig, client MuxClient) (string, error) {
	forward := client.ForwardAgent
	if forward == "" {
		forward = cfg.ForwardAgent
	}
	getenv := client.Getenv
	if getenv == nil {
		return "", errAgentUnknown
	}
	switch strings.ToLower(forward) {
	case "no", "false":
		return "", nil
	case "", "yes", "true":
		authSock, _, err := getenv("SSH_AUTH_SOCK")
		if err != nil {
			return "", errAgentUnknown
		}
		return cfg.AgentSocket(authSock), nil
	}
	if name, ok := strings.CutPrefix(forward, "$"); ok {
		sock, _, err := getenv(name)
		if err != nil {
			return "", errAgentUnknown
		}
		return sock, nil
	}
	if !filepath.IsAbs(forward) {
		return "", errAgentUnknown
	}
	return forward, nil
}

// muxAgent is a mux session's client's agent, an agentOwner whose channels
// the master connects to the agent socket.
type muxAgent struct {
	m    *Master
	sock string
	gone atomic.Bool
	once sync.Once
	keys keySet
}

// deliver connects an agent channel the server opened to the socket.
func (a *muxAgent) deliver(nch ssh.NewChannel) {
	conn, err := net.DialTimeout("unix", a.sock, agentQueryWait)
	if err != nil {
		nch.Reject(ssh.ConnectionFailed, "sshshare: the forwarded agent is gone")
		return
	}
	defer conn.Close()
	ch, reqs, err := nch.Accept()
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	a.m.spliceForward(conn, ch)
	ch.Close()
}

// left reports whether the session has ended.
func (a *muxAgent) left() bool { return a.gone.Load() }

// forwardLost does nothing: an agent is no listener.
func (a *muxAgent) forwardLost(forwardKey) {}

// forwardedKeys lists the agent's keys once (see keySet); an agent that
// cannot be listed has an empty set.
func (a *muxAgent) forwardedKeys() keySet {
	a.once.Do(func() {
		keys, err := listAgentSocket(a.sock)
		if err != nil {
			a.m.log.Info("forwarded agent not listed; it matches no other", "err", err)
		}
		a.keys = keys
	})
	return a.keys
}

// listAgentSocket lists the public keys of the agent at sock, within
// agentQueryWait.
func listAgentSocket(sock string) (keySet, error) {
	conn, err := net.DialTimeout("unix", sock, agentQueryWait)
	if err != nil {
		return nil, fmt.Errorf("connect to the agent: %w", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(agentQueryWait))
	keys, err := agent.NewClient(conn).List()
	if err != nil {
		return nil, fmt.Errorf("list agent keys: %w", err)
	}
	return keySetOf(keys), nil
}
