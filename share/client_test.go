package share

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/sshtest"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// TestClientKeepaliveAnsweredLocally: a client's keepalive is answered by
// the master itself, as sshd answers it, even when the upstream is slow
// to answer its own.
func TestClientKeepaliveAnsweredLocally(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	c := f.share(t)
	srv.conn(t, 0).stallKeepalives.Store(true)
	type answer struct {
		ok  bool
		err error
	}
	got := make(chan answer, 1)
	go func() {
		ok, _, err := c.SendRequest("keepalive@openssh.com", true, nil)
		got <- answer{ok, err}
	}()
	if a := sshtest.RecvWithin(t, got, 2*time.Second, "the keepalive's answer"); a.ok || a.err != nil {
		t.Errorf("keepalive: got %v, %v; want false, nil (sshd's answer)", a.ok, a.err)
	}
}

// TestClientNoMoreSessions: after no-more-sessions@openssh.com (ssh -N
// and friends send it), a session is refused; other channels are not.
func TestClientNoMoreSessions(t *testing.T) {
	f := startMaster(t, newFakeUpstream(t))
	c := f.share(t)
	if ok, _, err := c.SendRequest("no-more-sessions@openssh.com", true, nil); !ok || err != nil {
		t.Fatalf("no-more-sessions: got %v, %v; want true, nil", ok, err)
	}
	_, err := c.NewSession()
	var oe *ssh.OpenChannelError
	if !errors.As(err, &oe) || oe.Reason != ssh.Prohibited || oe.Message != "no more sessions" {
		t.Errorf("session after no-more-sessions: got %v; want prohibited, no more sessions", err)
	}
	echoDirect(t, c, "db:5432")
}

// TestClientChannelsRelayed: channels other than sessions go upstream on
// the primary; a refusal comes back with the server's reason and message.
func TestClientChannelsRelayed(t *testing.T) {
	f := startMaster(t, newFakeUpstream(t))
	c := f.share(t)
	echoDirect(t, c, "db:5432")

	tests := []struct {
		name    string
		open    func() error
		reason  ssh.RejectionReason
		message string
	}{
		{"closed port", func() error { _, err := c.Dial("tcp", "db:1"); return err },
			ssh.ConnectionFailed, "Connection refused"},
		{"unknown type", func() error { _, _, err := c.OpenChannel("x-test@sshshare", nil); return err },
			ssh.UnknownChannelType, "unknown channel type x-test@sshshare"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.open()
			var oe *ssh.OpenChannelError
			if !errors.As(err, &oe) || oe.Reason != tt.reason || oe.Message != tt.message {
				t.Errorf("got %v; want %v, %q", err, tt.reason, tt.message)
			}
		})
	}
}

// TestClientGlobalRequestRelayed: a global request the master does not
// know goes upstream, and the server's answer and payload come back.
func TestClientGlobalRequestRelayed(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	c := f.share(t)
	ok, payload, err := c.SendRequest("test-echo@sshshare", true, []byte("payload"))
	if !ok || err != nil || string(payload) != "payload" {
		t.Errorf("relayed request: got %v, %q, %v; want true, \"payload\", nil", ok, payload, err)
	}
	if ok, _, err := c.SendRequest("unknown@sshshare", true, nil); ok || err != nil {
		t.Errorf("request the server refuses: got %v, %v; want false, nil", ok, err)
	}
}

// TestClientForwardsEndWithIt: a remote forward the client cancels, or
// holds when it leaves, is cancelled upstream and leaves status.
func TestClientForwardsEndWithIt(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	up := srv.conn(t, 0)
	c := f.share(t)
	cancelled, err := c.Listen("tcp", "127.0.0.1:7000")
	if err != nil {
		t.Fatal(err)
	}
	kept, err := c.Listen("tcp", "127.0.0.1:7001")
	if err != nil {
		t.Fatal(err)
	}
	go echoAccepted(kept)
	if got := f.m.Status().Forwards; got != 2 {
		t.Fatalf("status forwards: got %d; want 2", got)
	}
	roundTrip(t, up, "127.0.0.1", 7001)

	cancelled.Close()
	sshtest.WaitFor(t, "the cancelled forward to go", func() bool {
		return f.m.Status().Forwards == 1 && up.forwardCount() == 1
	})
	c.Close()
	sshtest.WaitFor(t, "the leaving client's forward to go", func() bool {
		return f.m.Status().Forwards == 0 && up.forwardCount() == 0
	})
	_, err = up.openForwarded("127.0.0.1", 7001)
	var oe *ssh.OpenChannelError
	if !errors.As(err, &oe) || oe.Reason != ssh.Prohibited {
		t.Errorf("forwarded-tcpip after the client left: got %v; want prohibited", err)
	}
}

// TestClientAgentForwarding: an agent channel the server opens goes to
// the client that asked for agent forwarding, and to nobody once it left.
func TestClientAgentForwarding(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	up := srv.conn(t, 0)
	c := f.share(t)
	serveAgent(t, c, agent.NewKeyring())
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	agent.RequestAgentForwarding(s) // the fake refuses; the master notes who asked
	if out, err := s.Output("hi"); err != nil || string(out) != "hi\n" {
		t.Fatalf("session: got %q, %v", out, err)
	}

	ch, err := up.open("auth-agent@openssh.com", nil)
	if err != nil {
		t.Fatalf("agent channel: got %v; want it accepted by the client", err)
	}
	if keys, err := agent.NewClient(ch).List(); err != nil || len(keys) != 0 {
		t.Errorf("list the client's agent through the channel: got %v, %v; want its 0 keys", keys, err)
	}
	ch.Close()

	c.Close()
	sshtest.WaitFor(t, "the client to leave", func() bool { return f.m.Status().Clients == 0 })
	_, err = up.open("auth-agent@openssh.com", nil)
	if err == nil || !strings.Contains(err.Error(), "no live client for the agent forwarded on this upstream connection") {
		t.Errorf("agent channel after the client left: got %v; want no live client", err)
	}
}

// serveAgent answers the agent channels opened to client c with keyring.
func serveAgent(t *testing.T, c *ssh.Client, keyring agent.Agent) {
	t.Helper()
	chans := c.HandleChannelOpen("auth-agent@openssh.com")
	go func() {
		for nch := range chans {
			ch, reqs, err := nch.Accept()
			if err != nil {
				continue
			}
			go ssh.DiscardRequests(reqs)
			go func() {
				agent.ServeAgent(keyring, ch)
				ch.Close()
			}()
		}
	}()
}

// TestClientLeavingStopsSlotWait: a session open waiting for a free
// MaxSessions slot stops waiting when its client leaves, instead of for
// the pool's whole session wait, and takes no slot later.
func TestClientLeavingStopsSlotWait(t *testing.T) {
	srv := newFakeUpstream(t)
	srv.maxSessions.Store(1)
	f := startMaster(t, srv)
	// Client a takes the spare, the only slot; no second login can be
	// made, so client b's open must wait.
	sshtest.WaitFor(t, "the spare session", f.spareReady)
	srv.failDials.Store(true)
	a := f.share(t)
	held, err := a.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	stdin, _ := held.StdinPipe()
	if err := held.Start("cat"); err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()

	b := f.share(t)
	opened := make(chan error, 1)
	go func() {
		s, err := b.NewSession()
		if err == nil {
			s.Close()
		}
		opened <- err
	}()
	sshtest.WaitFor(t, "client b's open to wait for a slot", func() bool { return f.m.Status().SessionsWaiting == 1 })
	b.Close()
	if err := sshtest.RecvWithin(t, opened, 5*time.Second, "client b's open to end"); err == nil {
		t.Error("client b's session: opened after it left")
	}
	sshtest.WaitFor(t, "the master to stop waiting for client b", func() bool { return f.m.Status().SessionsWaiting == 0 })
}

// TestLocalHopTakesClientPolicy: a local ssh whose Ciphers, KexAlgorithms
// and MACs leave out every algorithm the local hop prefers still connects
// and runs a command, as it would with plain ssh.
func TestLocalHopTakesClientPolicy(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	for _, algos := range []ssh.Config{
		{Ciphers: []string{"aes128-ctr"}, KeyExchanges: []string{"diffie-hellman-group16-sha512"}, MACs: []string{"hmac-sha2-256"}},
		{Ciphers: []string{"aes256-ctr"}, KeyExchanges: []string{"diffie-hellman-group14-sha1"}, MACs: []string{"hmac-sha1"}},
		{Ciphers: []string{"chacha20-poly1305@openssh.com"}, KeyExchanges: []string{"curve25519-sha256"}},
	} {
		c, err := f.dialShareWith(algos)
		if err != nil {
			t.Errorf("client with %v %v %v: %v; want it served", algos.Ciphers, algos.KeyExchanges, algos.MACs, err)
			continue
		}
		if out, code := run(t, c, "hello"); code != 0 || out != "hello\n" {
			t.Errorf("client with %v: exec got %q, exit %d; want %q", algos.Ciphers, out, code, "hello\n")
		}
		c.Close()
	}
}

// TestClientAgentPerConnection: clients a and b forward agents with
// different keys. a's session binds the first upstream connection to a's
// agent; b's session moves to a second login and its agent channels come
// from there, while the first connection's still reach a's agent. When no
// second login can be made, b's session runs without its agent and b is
// told why on the session's stderr.
func TestClientAgentPerConnection(t *testing.T) {
	for _, failDials := range []bool{false, true} {
		name := "second login"
		if failDials {
			name = "no second login"
		}
		t.Run(name, func(t *testing.T) {
			srv := newFakeUpstream(t)
			f := startMaster(t, srv)
			up0 := srv.conn(t, 0)
			a, b := f.share(t), f.share(t)
			agentA, agentB := keyringWith(t), keyringWith(t)
			serveAgent(t, a, agentA)
			serveAgent(t, b, agentB)
			runWithAgent := func(c *ssh.Client) (string, string) { return runForwardingAgent(t, c) }
			runWithAgent(a)
			srv.failDials.Store(failDials)
			_, stderrB := runWithAgent(b)

			keysA := agentKeysVia(t, up0)
			if want := agentKeys(t, agentA); keysA != want {
				t.Errorf("agent on the first connection lists %s; want a's %s", keysA, want)
			}
			if failDials {
				t.Logf("b's stderr: %q", stderrB)
				want := "sshshare: agent forwarding refused for this session: the shared connection forwards another agent, and a new login failed: "
				if !strings.HasPrefix(stderrB, want) || strings.Count(stderrB, "\n") != 1 {
					t.Errorf("b's stderr = %q; want one line starting %q", stderrB, want)
				}
				return
			}
			if stderrB != "" {
				t.Errorf("b's stderr = %q; want none", stderrB)
			}
			keysB := agentKeysVia(t, srv.conn(t, 1))
			if want := agentKeys(t, agentB); keysB != want {
				t.Errorf("agent on the second connection lists %s; want b's %s", keysB, want)
			}
		})
	}
}

// TestClientAgentSameAgent: client a forwards an agent; a key is added to
// it and client b forwards it too: b shares a's connection (no second
// login), as the same agent. Once a and b have left, client c with
// another agent gets a connection of its own: a process a or b left
// behind on the first must never reach c's agent.
func TestClientAgentSameAgent(t *testing.T) {
	srv := newFakeUpstream(t)
	f := startMaster(t, srv)
	up0 := srv.conn(t, 0)
	agentA, agentC := keyringWith(t), keyringWith(t)
	runWithAgent := func(c *ssh.Client) string {
		_, stderr := runForwardingAgent(t, c)
		return stderr
	}
	a := f.share(t)
	serveAgent(t, a, agentA)
	runWithAgent(a)
	dials := srv.dials.Load()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := agentA.Add(agent.AddedKey{PrivateKey: priv}); err != nil {
		t.Fatal(err)
	}
	b := f.share(t)
	serveAgent(t, b, agentA)
	if stderr := runWithAgent(b); stderr != "" {
		t.Errorf("b's stderr = %q; want none", stderr)
	}
	if got := srv.dials.Load(); got != dials {
		t.Errorf("dials after b (a's agent, one key added) = %d; want %d (no new login)", got, dials)
	}
	if got, want := agentKeysVia(t, up0), agentKeys(t, agentA); got != want {
		t.Errorf("agent on the connection lists %s; want a's agent's %s", got, want)
	}

	a.Close()
	b.Close()
	c := f.share(t)
	serveAgent(t, c, agentC)
	sshtest.WaitFor(t, "the master to see a and b leave", func() bool {
		return f.m.routes.agentFor(f.m.pool.primary().Conn) == nil
	})
	if stderr := runWithAgent(c); stderr != "" {
		t.Errorf("c's stderr = %q; want none", stderr)
	}
	if got := srv.dials.Load(); got != dials+1 {
		t.Errorf("dials after c (another agent, a's clients gone) = %d; want %d (a connection of its own)", got, dials+1)
	}
	// A process a or b left behind on up0 must not reach c's agent.
	if ch, err := up0.open("auth-agent@openssh.com", nil); err == nil {
		ch.Close()
		t.Error("an agent channel on a's connection after a and b left: opened; want it refused, not given c's agent")
	}
	if got, want := agentKeysVia(t, srv.conn(t, 1)), agentKeys(t, agentC); got != want {
		t.Errorf("agent on c's connection lists %s; want c's %s", got, want)
	}
}

// runForwardingAgent runs "hi" in a session of c that forwards c's agent,
// and returns its stdout and stderr.
func runForwardingAgent(t *testing.T, c *ssh.Client) (string, string) {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	agent.RequestAgentForwarding(s)
	var stderr strings.Builder
	s.Stderr = &stderr
	out, err := s.Output("hi")
	if err != nil {
		t.Fatalf("session: got %q, %v", out, err)
	}
	return string(out), stderr.String()
}

// keyringWith is an agent holding one fresh ed25519 key.
func keyringWith(t *testing.T) agent.Agent {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k := agent.NewKeyring()
	if err := k.Add(agent.AddedKey{PrivateKey: priv}); err != nil {
		t.Fatal(err)
	}
	return k
}

// agentKeysVia lists, as a remote process would, the agent the upstream
// connection up forwards.
func agentKeysVia(t *testing.T, up *fakeConn) string {
	t.Helper()
	ch, err := up.open("auth-agent@openssh.com", nil)
	if err != nil {
		t.Fatalf("agent channel: %v", err)
	}
	defer ch.Close()
	keys, err := agent.NewClient(ch).List()
	if err != nil {
		t.Fatalf("list agent keys: %v", err)
	}
	return fmt.Sprint(keys)
}

// agentKeys lists the keys of a client's own agent.
func agentKeys(t *testing.T, k agent.Agent) string {
	t.Helper()
	keys, err := k.List()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(keys)
}
