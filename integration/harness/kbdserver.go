package harness

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"golang.org/x/crypto/ssh"
)

// KbdRound is one keyboard-interactive round a KbdServer asks: a name, an
// instruction and prompts, and the answers it expects.
type KbdRound struct {
	Name, Instruction string
	Prompts           []string
	Echos             []bool
	Answers           []string
}

// KbdServerOptions configures StartKbdServer.
type KbdServerOptions struct {
	// HostKey is the server's host key; SSHD.HostSigner lends the harness
	// sshd's, which clients of that sshd already trust.
	HostKey ssh.Signer
	// User is the only user that may log in; "" accepts any.
	User string
	// Rounds are asked in order on every login; all answers must match.
	Rounds []KbdRound
	// Stdout is what every exec writes before exiting 0.
	Stdout string
	// RefuseKeys makes the server offer the publickey method and refuse
	// every key, as a server that does not know the client's keys.
	RefuseKeys bool
}

// KbdServer is an in-process SSH server (golang.org/x/crypto/ssh) on
// 127.0.0.1 for what OpenSSH's sshd cannot script without root: a login
// that takes several keyboard-interactive rounds. It accepts only that
// login, and serves exec on session channels by writing a fixed output
// and exit-status 0. Everything else is refused.
type KbdServer struct {
	Host string // "127.0.0.1"
	Port int

	opts KbdServerOptions
	ln   net.Listener
	wg   sync.WaitGroup

	mu       sync.Mutex
	conns    map[net.Conn]bool
	closed   bool
	logins   int
	failures int
	commands []string
}

// StartKbdServer listens on a free port of 127.0.0.1 and serves until the
// test's cleanup, which closes every connection and waits for its
// goroutines.
func StartKbdServer(tb TB, opts KbdServerOptions) *KbdServer {
	tb.Helper()
	if opts.HostKey == nil {
		tb.Fatalf("StartKbdServer: no host key")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("kbd server listen: %v", err)
	}
	s := &KbdServer{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, opts: opts, ln: ln,
		conns: make(map[net.Conn]bool)}
	s.wg.Add(1)
	go s.accept()
	tb.Cleanup(s.close)
	return s
}

// Logins counts successful logins so far.
func (s *KbdServer) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// Failures counts keyboard-interactive attempts that gave a wrong answer.
func (s *KbdServer) Failures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failures
}

// Commands returns the commands exec'd so far, in order.
func (s *KbdServer) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands)
}

func (s *KbdServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = true
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c)
	}
}

// close stops accepting, closes every connection and waits for their
// goroutines.
func (s *KbdServer) close() {
	s.mu.Lock()
	s.closed = true
	s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *KbdServer) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	cfg := &ssh.ServerConfig{KeyboardInteractiveCallback: s.challenge}
	if s.opts.RefuseKeys {
		cfg.PublicKeyCallback = func(ssh.ConnMetadata, ssh.PublicKey) (*ssh.Permissions, error) {
			return nil, errors.New("key not known")
		}
	}
	cfg.AddHostKey(s.opts.HostKey)
	sc, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	defer sc.Close()
	s.mu.Lock()
	s.logins++
	s.mu.Unlock()
	var chanWG sync.WaitGroup
	defer chanWG.Wait()
	go ssh.DiscardRequests(reqs)
	for nch := range chans {
		if nch.ChannelType() != "session" {
			nch.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, chReqs, err := nch.Accept()
		if err != nil {
			continue
		}
		chanWG.Add(1)
		go func() {
			defer chanWG.Done()
			s.session(ch, chReqs)
		}()
	}
}

// challenge asks every round and checks the answers.
func (s *KbdServer) challenge(conn ssh.ConnMetadata, ask ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
	if s.opts.User != "" && conn.User() != s.opts.User {
		return nil, fmt.Errorf("user %q not allowed", conn.User())
	}
	for i, r := range s.opts.Rounds {
		answers, err := ask(r.Name, r.Instruction, r.Prompts, r.Echos)
		if err != nil {
			return nil, err
		}
		if !slices.Equal(answers, r.Answers) {
			s.mu.Lock()
			s.failures++
			s.mu.Unlock()
			return nil, fmt.Errorf("round %d: wrong answers", i+1)
		}
	}
	return nil, nil
}

// session serves one session channel: exec writes Stdout and exits 0.
func (s *KbdServer) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		switch req.Type {
		case "exec":
			var cmd struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &cmd); err != nil {
				req.Reply(false, nil)
				continue
			}
			req.Reply(true, nil)
			s.mu.Lock()
			s.commands = append(s.commands, cmd.Command)
			s.mu.Unlock()
			_, _ = ch.Write([]byte(s.opts.Stdout))
			_ = ch.CloseWrite()
			_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{0}))
			go ssh.DiscardRequests(reqs) // until the client's close
			return
		case "env", "pty-req":
			req.Reply(true, nil)
		default:
			req.Reply(false, nil)
		}
	}
}

// HostSigner returns the sshd's ed25519 host key as a signer, so that an
// in-process server can present a key the harness clients already trust.
func (s *SSHD) HostSigner(tb TB) ssh.Signer {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(s.Dir, "ssh_host_ed25519_key"))
	if err != nil {
		tb.Fatalf("read sshd host key: %v", err)
	}
	signer, err := ssh.ParsePrivateKey(b)
	if err != nil {
		tb.Fatalf("parse sshd host key: %v", err)
	}
	return signer
}
