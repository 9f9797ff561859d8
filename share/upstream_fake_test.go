package share

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/sshtest"
	"github.com/sshshare/sshshare/share/upstream"
	"golang.org/x/crypto/ssh"
)

// fakeUpstream is an in-process sshd stand-in for the master's tests. It
// takes any client key and serves what the master relays:
//   - session channels whose exec runs a tiny shell (see fakeConn.run);
//   - direct-tcpip and direct-streamlocal channels, echoed (their targets
//     recorded), except direct-tcpip to port 1, refused as sshd refuses a
//     closed port;
//   - keepalive@openssh.com answered as sshd does, tcpip-forward and
//     cancel-tcpip-forward recorded (no port is bound: the test opens the
//     forwarded-tcpip channels itself; port 0 gets one from 40000 up,
//     named in the reply), streamlocal-forward and its cancel recorded
//     likewise, and test-echo@sshshare answered
//     with its own payload.
//
// Each login is a fakeConn the test can kill, stall or watch.
type fakeUpstream struct {
	ln  net.Listener
	cfg *ssh.ServerConfig

	// authGate, if set before the first dial, holds every login's
	// authentication until it is closed; authStarted hears of each.
	authGate    chan struct{}
	authStarted chan struct{}
	// refuseKeys makes every login fail.
	refuseKeys atomic.Bool
	// failDials makes the master's dial hook fail (a network that is down).
	failDials atomic.Bool
	// refuseForwards refuses tcpip-forward, as sshd does when the port is
	// taken (by the session of a connection it has not seen die).
	refuseForwards atomic.Bool
	// killOnForward, when above 0, is how many more tcpip-forward requests
	// end their connection instead of being answered (a fresh connection
	// dying under a carried listener's request).
	killOnForward atomic.Int32
	// omitBoundPort answers a tcpip-forward for port 0 with no port; by
	// default the fake allocates one from 40000 up and replies with it, as
	// sshd does.
	omitBoundPort atomic.Bool
	nextPort      atomic.Uint32
	// maxSessions, when above 0, refuses sessions beyond that many open on
	// one connection, as sshd's MaxSessions does.
	maxSessions atomic.Int32

	dials  atomic.Int32
	logins atomic.Int32
	held   chan string // session requests left unanswered (fakeConn.holdRequests)

	mu    sync.Mutex
	conns []*fakeConn
	wg    sync.WaitGroup
}

// fakeConn is one login on a fakeUpstream.
type fakeConn struct {
	srv  *fakeUpstream
	raw  net.Conn
	sc   *ssh.ServerConn
	done chan struct{} // closed when the connection has ended

	// stallKeepalives leaves keepalives unanswered, as a dead network
	// would.
	stallKeepalives atomic.Bool
	// holdRequests leaves every session's requests unanswered and reports
	// their types on srv.held.
	holdRequests atomic.Bool
	sessions     atomic.Int32 // session channels accepted
	live         atomic.Int32 // session channels open now
	granted      atomic.Int32 // tcpip-forward requests answered yes

	mu       sync.Mutex
	forwards map[forwardKey]bool
	requests []string // global request types received, in order
	targets  []string // direct channels' targets (see opened)
	idle     []ssh.Channel
}

// newFakeUpstream starts a fakeUpstream; the test's cleanup stops it.
func newFakeUpstream(t *testing.T) *fakeUpstream {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeUpstream{ln: ln, held: make(chan string, 16), authStarted: make(chan struct{}, 16)}
	s.cfg = &ssh.ServerConfig{
		PublicKeyCallback: func(ssh.ConnMetadata, ssh.PublicKey) (*ssh.Permissions, error) {
			if s.refuseKeys.Load() {
				return nil, fmt.Errorf("key refused")
			}
			select {
			case s.authStarted <- struct{}{}:
			default:
			}
			if s.authGate != nil {
				<-s.authGate
			}
			return nil, nil
		},
	}
	s.cfg.AddHostKey(sshtest.HostSigner())
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.close)
	return s
}

// dial is the master's dial hook: a loopback connection to the server.
func (s *fakeUpstream) dial(ctx context.Context, _ string, _ int) (net.Conn, error) {
	s.dials.Add(1)
	if s.failDials.Load() {
		return nil, fmt.Errorf("network is unreachable")
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", s.ln.Addr().String())
}

// accept serves every connection until the listener closes.
func (s *fakeUpstream) accept() {
	defer s.wg.Done()
	for {
		raw, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(raw)
		}()
	}
}

// serve runs one login and its connection.
func (s *fakeUpstream) serve(raw net.Conn) {
	defer raw.Close()
	sc, chans, reqs, err := ssh.NewServerConn(raw, s.cfg)
	if err != nil {
		return
	}
	c := &fakeConn{srv: s, raw: raw, sc: sc, done: make(chan struct{}), forwards: make(map[forwardKey]bool)}
	s.mu.Lock()
	s.conns = append(s.conns, c)
	s.mu.Unlock()
	s.logins.Add(1)
	go c.globalRequests(reqs)
	for nch := range chans {
		go c.openChannel(nch)
	}
	close(c.done)
}

// conn returns the i'th login, waiting for it.
func (s *fakeUpstream) conn(t *testing.T, i int) *fakeConn {
	t.Helper()
	var c *fakeConn
	sshtest.WaitFor(t, "login "+strconv.Itoa(i+1)+" on the upstream", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.conns) > i {
			c = s.conns[i]
		}
		return c != nil
	})
	return c
}

// close stops the server and ends every connection.
func (s *fakeUpstream) close() {
	s.ln.Close()
	s.mu.Lock()
	conns := slices.Clone(s.conns)
	s.mu.Unlock()
	for _, c := range conns {
		c.kill()
	}
	if s.authGate != nil {
		select {
		case <-s.authGate:
		default:
			close(s.authGate)
		}
	}
	s.wg.Wait()
}

// kill drops the connection, as a server restart or a reset would.
func (c *fakeConn) kill() { c.raw.Close() }

// ended reports whether the connection has ended.
func (c *fakeConn) ended() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// globalRequests answers the master's global requests.
func (c *fakeConn) globalRequests(reqs <-chan *ssh.Request) {
	for req := range reqs {
		c.mu.Lock()
		c.requests = append(c.requests, req.Type)
		c.mu.Unlock()
		switch req.Type {
		case "keepalive@openssh.com":
			if !c.stallKeepalives.Load() {
				req.Reply(false, nil) // what sshd answers
			}
		case "tcpip-forward", "cancel-tcpip-forward":
			var m tcpipForwardMsg
			if err := ssh.Unmarshal(req.Payload, &m); err != nil {
				req.Reply(false, nil)
				continue
			}
			if req.Type == "tcpip-forward" && c.srv.killOnForward.Add(-1) >= 0 {
				c.kill()
				continue
			}
			if req.Type == "tcpip-forward" && c.srv.refuseForwards.Load() {
				req.Reply(false, nil)
				continue
			}
			var reply []byte
			if req.Type == "tcpip-forward" && m.Port == 0 {
				m.Port = 40000 + c.srv.nextPort.Add(1)
				if !c.srv.omitBoundPort.Load() {
					reply = ssh.Marshal(struct{ Port uint32 }{m.Port})
				}
			}
			c.mu.Lock()
			known := c.forwards[forwardKey{m.Addr, m.Port}]
			if req.Type == "tcpip-forward" {
				c.forwards[forwardKey{m.Addr, m.Port}] = true
				c.granted.Add(1)
			} else {
				delete(c.forwards, forwardKey{m.Addr, m.Port})
			}
			c.mu.Unlock()
			req.Reply(req.Type == "tcpip-forward" || known, reply)
		case "streamlocal-forward@openssh.com", "cancel-streamlocal-forward@openssh.com":
			var m streamlocalForwardMsg
			ok := ssh.Unmarshal(req.Payload, &m) == nil
			c.mu.Lock()
			if req.Type == "streamlocal-forward@openssh.com" {
				c.forwards[forwardKey{addr: m.Path}] = ok
			} else {
				delete(c.forwards, forwardKey{addr: m.Path})
			}
			c.mu.Unlock()
			req.Reply(ok, nil)
		case "test-echo@sshshare":
			req.Reply(true, req.Payload)
		default:
			req.Reply(false, nil)
		}
	}
}

// forwardCount is the number of remote forwards the connection holds.
func (c *fakeConn) forwardCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.forwards)
}

// holds reports whether the connection holds the remote forward addr:port.
func (c *fakeConn) holds(addr string, port uint32) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.forwards[forwardKey{addr, port}]
}

// received counts the global requests of type typ the connection has had.
func (c *fakeConn) received(typ string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, r := range c.requests {
		if r == typ {
			n++
		}
	}
	return n
}

// openForwarded opens a forwarded-tcpip channel for a remote forward, as
// sshd does when someone connects to its listener.
func (c *fakeConn) openForwarded(addr string, port uint32) (ssh.Channel, error) {
	return c.open("forwarded-tcpip", ssh.Marshal(forwardedTCPIPMsg{addr, port, "127.0.0.1", 50000}))
}

// open opens a channel to the master, as sshd does for remote forwards,
// agent and X11 forwarding.
func (c *fakeConn) open(chanType string, extra []byte) (ssh.Channel, error) {
	ch, reqs, err := c.sc.OpenChannel(chanType, extra)
	if err != nil {
		return nil, err
	}
	go ssh.DiscardRequests(reqs)
	return ch, nil
}

// closeIdleSessions closes the sessions that have had no request yet.
func (c *fakeConn) closeIdleSessions() {
	c.mu.Lock()
	idle := c.idle
	c.idle = nil
	c.mu.Unlock()
	for _, ch := range idle {
		ch.Close()
	}
}

// openChannel serves one channel the master opened.
func (c *fakeConn) openChannel(nch ssh.NewChannel) {
	switch nch.ChannelType() {
	case "session":
		if limit := c.srv.maxSessions.Load(); limit > 0 && c.live.Add(1) > limit {
			c.live.Add(-1)
			nch.Reject(ssh.ConnectionFailed, "open failed")
			return
		} else if limit <= 0 {
			c.live.Add(1)
		}
		defer c.live.Add(-1)
		ch, reqs, err := nch.Accept()
		if err != nil {
			return
		}
		c.sessions.Add(1)
		c.mu.Lock()
		c.idle = append(c.idle, ch)
		c.mu.Unlock()
		c.session(ch, reqs)
	case "direct-tcpip":
		var m directTCPIPMsg
		if err := ssh.Unmarshal(nch.ExtraData(), &m); err != nil || m.Port == 1 {
			nch.Reject(ssh.ConnectionFailed, "Connection refused")
			return
		}
		c.opened(m.Host + ":" + strconv.Itoa(int(m.Port)) + " from " + m.OriginHost)
		echoChannel(nch)
	case "direct-streamlocal@openssh.com":
		var m streamlocalMsg
		if err := ssh.Unmarshal(nch.ExtraData(), &m); err != nil {
			nch.Reject(ssh.ConnectionFailed, "bad request")
			return
		}
		c.opened(m.Path)
		echoChannel(nch)
	default:
		nch.Reject(ssh.UnknownChannelType, "unknown channel type "+nch.ChannelType())
	}
}

// opened records the target of a direct channel the master opened.
func (c *fakeConn) opened(target string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.targets = append(c.targets, target)
}

// openedTargets are the targets of the direct channels opened so far:
// "host:port from origin", or a socket path.
func (c *fakeConn) openedTargets() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.targets)
}

// echoChannel accepts nch and echoes what it carries until EOF.
func echoChannel(nch ssh.NewChannel) {
	ch, reqs, err := nch.Accept()
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	io.Copy(ch, ch)
	ch.CloseWrite()
	ch.Close()
}

// session answers a session's requests and runs its exec.
func (c *fakeConn) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	env := map[string]string{}
	for req := range reqs {
		c.mu.Lock()
		c.idle = slices.DeleteFunc(c.idle, func(x ssh.Channel) bool { return x == ch })
		c.mu.Unlock()
		if c.holdRequests.Load() {
			c.srv.held <- req.Type
			continue
		}
		switch req.Type {
		case "env":
			var m struct{ Name, Value string }
			ok := ssh.Unmarshal(req.Payload, &m) == nil
			env[m.Name] = m.Value
			req.Reply(ok, nil)
		case "exec":
			var m struct{ Command string }
			if ssh.Unmarshal(req.Payload, &m) != nil {
				req.Reply(false, nil)
				continue
			}
			req.Reply(true, nil)
			go func() {
				status := fakeShell(ch, m.Command, env)
				ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
				ch.Close()
			}()
		default:
			if req.WantReply {
				req.Reply(false, nil)
			}
		}
	}
}

// fakeShell is the fake's shell: "cat" echoes stdin, "env" prints the session's
// environment, "exit N" exits with N, anything else is echoed back.
func fakeShell(ch ssh.Channel, command string, env map[string]string) uint32 {
	switch {
	case command == "cat":
		io.Copy(ch, ch)
	case command == "env":
		var lines []string
		for k, v := range env {
			lines = append(lines, k+"="+v+"\n")
		}
		slices.Sort(lines)
		io.WriteString(ch, strings.Join(lines, ""))
	case strings.HasPrefix(command, "exit "):
		n, _ := strconv.Atoi(strings.TrimPrefix(command, "exit "))
		return uint32(n)
	default:
		io.WriteString(ch, command+"\n")
	}
	return 0
}

// fixedConfig is a ConfigLoader that returns its own value: the config
// `ssh -G` would print, without ssh.
type fixedConfig upstream.HostConfig

// Load returns the fixed config.
func (c fixedConfig) Load(context.Context, upstream.Target) (upstream.HostConfig, error) {
	return upstream.HostConfig(c), nil
}

// testHostConfig is what the master needs to log in to a fakeUpstream:
// a fresh unencrypted identity file, no agent, any host key.
func testHostConfig(t *testing.T) upstream.HostConfig {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	id := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(id, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return upstream.HostConfig{
		User: "test", HostName: "upstream.test", Port: 22,
		IdentityFiles: []string{id}, IdentityAgent: "none", PubkeyAuthentication: true,
		UserKnownHostsFiles: []string{"/dev/null"}, StrictHostKeyChecking: "no",
		BatchMode: true, ConnectTimeout: 5 * time.Second,
	}
}
