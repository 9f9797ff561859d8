package share

import (
	"bytes"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/sshtest"
	"golang.org/x/crypto/ssh"
)

// bridged is a session channel of a local client bridged to an upstream
// server's channel, as the master does:
//
//	client ══SSH══▶ (down) bridge (up) ══SSH══▶ server
type bridged struct {
	ch   ssh.Channel         // the local client's channel
	reqs <-chan *ssh.Request // requests the local client receives
	done <-chan struct{}     // closed when bridge.Run has returned
}

// startBridge opens a session from a local client through b to an upstream
// server whose channel is handled by upstream.
func startBridge(t *testing.T, b *bridge, upstream func(ssh.Channel, <-chan *ssh.Request)) bridged {
	t.Helper()
	local, masterSide := sshtest.SSHPair(t)
	masterUp, sshd := sshtest.SSHPair(t)
	for _, reqs := range []<-chan *ssh.Request{local.Reqs, masterSide.Reqs, masterUp.Reqs, sshd.Reqs} {
		go ssh.DiscardRequests(reqs)
	}
	go func() {
		for nch := range sshd.Chans {
			ch, reqs, err := nch.Accept()
			if err != nil {
				continue
			}
			go upstream(ch, reqs)
		}
	}()
	go func() {
		for nch := range local.Chans {
			nch.Reject(ssh.Prohibited, "not in this test")
		}
	}()
	go func() {
		for nch := range masterUp.Chans {
			nch.Reject(ssh.Prohibited, "not in this test")
		}
	}()
	done := make(chan struct{})
	go func() {
		nch, ok := <-masterSide.Chans
		if !ok {
			return
		}
		upCh, upReqs, err := masterUp.Conn.OpenChannel(nch.ChannelType(), nch.ExtraData())
		if err != nil {
			nch.Reject(ssh.ConnectionFailed, err.Error())
			return
		}
		downCh, downReqs, err := nch.Accept()
		if err != nil {
			upCh.Close()
			return
		}
		b.Down = end{ch: downCh, reqs: downReqs}
		b.Up = end{ch: upCh, reqs: upReqs}
		b.Run()
		close(done)
	}()
	ch, reqs, err := local.Conn.OpenChannel("session", nil)
	if err != nil {
		t.Fatalf("open session through the bridge: %v", err)
	}
	return bridged{ch, reqs, done}
}

// exitStatus is the payload of an exit-status request.
type exitStatus struct{ Status uint32 }

// upstreamLog is what the upstream server saw and was told.
type upstreamLog struct {
	mu       sync.Mutex
	stdin    []byte
	stderr   []byte
	replies  map[string]bool // answers to the server's own requests
	requests []string
}

func (l *upstreamLog) add(f func(*upstreamLog)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(l)
}

// TestBridgeSession runs an exec session through a bridge and checks what
// each side sees: replies answered by the other side, data and stderr both
// ways, EOF, and exit-status, all before the channel closes.
func TestBridgeSession(t *testing.T) {
	const bigSize = 3 << 20 // more than a channel window
	big := bytes.Repeat([]byte("0123456789abcdef"), bigSize/16)
	var log upstreamLog
	upstream := func(ch ssh.Channel, reqs <-chan *ssh.Request) {
		// Answer like sshd: env refused, exec accepted.
		for req := range reqs {
			log.add(func(l *upstreamLog) { l.requests = append(l.requests, req.Type) })
			if req.Type != "exec" {
				req.Reply(false, nil)
				continue
			}
			req.Reply(true, nil)
			break
		}
		go ssh.DiscardRequests(reqs)
		replies := map[string]bool{}
		for _, typ := range []string{"keepalive@openssh.com", "unknown@test"} {
			ok, err := ch.SendRequest(typ, true, nil)
			replies[typ] = ok && err == nil
		}
		stderrIn := sshtest.ReadAllAsync(ch.Stderr())
		stdin, _ := io.ReadAll(ch)
		stderr := <-stderrIn
		log.add(func(l *upstreamLog) { l.replies, l.stdin, l.stderr = replies, stdin, stderr })
		io.WriteString(ch.Stderr(), "warning: upstream\n")
		ch.Write(big)
		ch.Write(stdin)
		ch.CloseWrite()
		ch.SendRequest("exit-status", false, ssh.Marshal(exitStatus{3}))
		ch.Close()
	}
	var in, out atomic.Int64
	b := &bridge{In: &in, Out: &out}
	s := startBridge(t, b, upstream)

	// Requests the client receives, answered as OpenSSH's client would.
	type seenReq struct {
		typ     string
		payload []byte
	}
	seen := make(chan []seenReq, 1)
	go func() {
		var got []seenReq
		for req := range s.reqs {
			got = append(got, seenReq{req.Type, req.Payload})
			if req.WantReply {
				req.Reply(req.Type == "keepalive@openssh.com", nil)
			}
		}
		seen <- got
	}()
	stdout := sshtest.ReadAllAsync(s.ch)
	stderr := sshtest.ReadAllAsync(s.ch.Stderr())

	if ok, err := s.ch.SendRequest("env", true, ssh.Marshal(struct{ Name, Value string }{"LANG", "C"})); ok || err != nil {
		t.Errorf("env: got %v, %v; want the upstream's refusal (false, nil)", ok, err)
	}
	if ok, err := s.ch.SendRequest("exec", true, ssh.Marshal(struct{ Command string }{"true"})); !ok || err != nil {
		t.Fatalf("exec: got %v, %v; want the upstream's acceptance (true, nil)", ok, err)
	}
	io.WriteString(s.ch, "ping")
	io.WriteString(s.ch.Stderr(), "client-stderr")
	s.ch.CloseWrite()

	gotOut := sshtest.RecvWithin(t, stdout, 10*time.Second, "stdout")
	if want := append(append([]byte(nil), big...), "ping"...); !bytes.Equal(gotOut, want) {
		t.Errorf("stdout: got %d bytes; want %d (all of the upstream's output, then the echo)", len(gotOut), len(want))
	}
	if got := string(sshtest.RecvWithin(t, stderr, 10*time.Second, "stderr")); got != "warning: upstream\n" {
		t.Errorf("stderr: got %q; want %q", got, "warning: upstream\n")
	}
	reqs := sshtest.RecvWithin(t, seen, 10*time.Second, "the channel to close")
	var status []uint32
	for _, r := range reqs {
		if r.typ == "exit-status" {
			var es exitStatus
			if err := ssh.Unmarshal(r.payload, &es); err != nil {
				t.Fatalf("exit-status payload: %v", err)
			}
			status = append(status, es.Status)
		}
	}
	if len(status) != 1 || status[0] != 3 {
		t.Errorf("exit-status before close: got %v; want [3]", status)
	}
	sshtest.RecvWithin(t, s.done, 10*time.Second, "bridge.Run to return")

	log.mu.Lock()
	defer log.mu.Unlock()
	if string(log.stdin) != "ping" {
		t.Errorf("upstream stdin: got %q; want %q", log.stdin, "ping")
	}
	if string(log.stderr) != "client-stderr" {
		t.Errorf("upstream extended data: got %q; want %q", log.stderr, "client-stderr")
	}
	if want := []string{"env", "exec"}; len(log.requests) != 2 || log.requests[0] != want[0] || log.requests[1] != want[1] {
		t.Errorf("upstream requests: got %q; want %q", log.requests, want)
	}
	wantReplies := map[string]bool{"keepalive@openssh.com": true, "unknown@test": false}
	for typ, want := range wantReplies {
		if got, ok := log.replies[typ]; !ok || got != want {
			t.Errorf("reply to the upstream's %s: got %v (present %v); want the client's %v", typ, got, ok, want)
		}
	}
	wantIn := int64(len(big) + len("ping") + len("warning: upstream\n"))
	if got := in.Load(); got != wantIn {
		t.Errorf("In: got %d; want %d", got, wantIn)
	}
	if got, want := out.Load(), int64(len("ping")+len("client-stderr")); got != want {
		t.Errorf("Out: got %d; want %d", got, want)
	}
}

// TestBridgeCloseWithoutEOF: an upstream that sends its last bytes and
// exit-status and then CLOSE without EOF still has all of it delivered
// before the client sees CLOSE.
func TestBridgeCloseWithoutEOF(t *testing.T) {
	payload := bytes.Repeat([]byte("x"), 3<<20) // more than a channel window
	upstream := func(ch ssh.Channel, reqs <-chan *ssh.Request) {
		go ssh.DiscardRequests(reqs)
		ch.Write(payload)
		ch.SendRequest("exit-status", false, ssh.Marshal(exitStatus{0}))
		ch.Close()
	}
	s := startBridge(t, &bridge{}, upstream)
	// A slow reader: the bridge still holds undelivered bytes when the
	// upstream's CLOSE arrives.
	stdout := make(chan []byte, 1)
	time.AfterFunc(100*time.Millisecond, func() {
		b, _ := io.ReadAll(s.ch)
		stdout <- b
	})
	var types []string
	for req := range s.reqs {
		types = append(types, req.Type)
	}
	if len(types) != 1 || types[0] != "exit-status" {
		t.Errorf("requests before close: got %q; want [exit-status]", types)
	}
	if got := sshtest.RecvWithin(t, stdout, 10*time.Second, "stdout"); len(got) != len(payload) {
		t.Errorf("stdout: got %d bytes; want %d", len(got), len(payload))
	}
	sshtest.RecvWithin(t, s.done, 10*time.Second, "bridge.Run to return")
}

// TestBridgeClientCloses: a client that closes its channel ends the bridge
// and the upstream channel.
func TestBridgeClientCloses(t *testing.T) {
	upClosed := make(chan struct{})
	upstream := func(ch ssh.Channel, reqs <-chan *ssh.Request) {
		ssh.DiscardRequests(reqs) // returns when the channel closes
		close(upClosed)
	}
	s := startBridge(t, &bridge{}, upstream)
	go ssh.DiscardRequests(s.reqs)
	s.ch.Close()
	sshtest.RecvWithin(t, upClosed, 10*time.Second, "the upstream channel to close")
	sshtest.RecvWithin(t, s.done, 10*time.Second, "bridge.Run to return")
}

// TestBridgeStdinBeforeExec: data the client sends before "exec" reaches
// the upstream at once, and OnRequest sees the exec.
func TestBridgeStdinBeforeExec(t *testing.T) {
	gotData := make(chan struct{})
	upstream := func(ch ssh.Channel, reqs <-chan *ssh.Request) {
		go func() {
			buf := make([]byte, 1)
			if n, _ := ch.Read(buf); n > 0 {
				close(gotData)
			}
			io.Copy(io.Discard, ch)
		}()
		for req := range reqs {
			req.Reply(req.Type == "exec", nil)
		}
	}
	var observed []string
	var mu sync.Mutex
	b := &bridge{OnRequest: func(r *ssh.Request) {
		mu.Lock()
		defer mu.Unlock()
		observed = append(observed, r.Type)
	}}
	s := startBridge(t, b, upstream)
	go ssh.DiscardRequests(s.reqs)
	defer s.ch.Close()

	if _, err := io.WriteString(s.ch, "early"); err != nil {
		t.Fatal(err)
	}
	sshtest.RecvWithin(t, gotData, 5*time.Second, "stdin upstream before exec")
	if ok, err := s.ch.SendRequest("exec", true, ssh.Marshal(struct{ Command string }{"cat"})); !ok || err != nil {
		t.Fatalf("exec: got %v, %v; want true, nil", ok, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(observed) != 1 || observed[0] != "exec" {
		t.Errorf("OnRequest saw %q; want [exec]", observed)
	}
}

func TestStartsSession(t *testing.T) {
	tests := map[string]bool{
		"shell": true, "exec": true, "subsystem": true,
		"pty-req": false, "env": false, "auth-agent-req@openssh.com": false, "x11-req": false,
	}
	for typ, want := range tests {
		t.Run(typ, func(t *testing.T) {
			if got := startsSession(typ); got != want {
				t.Errorf("startsSession(%q): got %v; want %v", typ, got, want)
			}
		})
	}
}

// TestBridgeAnswersBeforeClose: a server that answers exec and closes the
// channel at once (a program that exits at once) must not have the
// client's channel closed under its exec: the answer comes first.
func TestBridgeAnswersBeforeClose(t *testing.T) {
	for i := range 20 {
		upstream := func(ch ssh.Channel, reqs <-chan *ssh.Request) {
			for req := range reqs {
				req.Reply(req.Type == "exec", nil)
				if req.Type == "exec" {
					ch.SendRequest("exit-status", false, ssh.Marshal(exitStatus{0}))
					ch.Close()
				}
			}
		}
		s := startBridge(t, &bridge{}, upstream)
		go ssh.DiscardRequests(s.reqs)
		ok, err := s.ch.SendRequest("exec", true, ssh.Marshal(struct{ Command string }{"true"}))
		if !ok || err != nil {
			t.Fatalf("exec %d: got %v, %v; want true, nil", i, ok, err)
		}
		s.ch.Close()
		sshtest.RecvWithin(t, s.done, 5*time.Second, "the bridge to end")
	}
}

// TestBridgeLostLine: when the upstream side ends, the line Lost returns
// reaches the client's stderr before its EOF (ssh drops a connection that
// sends extended data after EOF); an empty one writes nothing.
func TestBridgeLostLine(t *testing.T) {
	for _, line := range []string{"sshshare: connection to u@h:22 lost (nothing heard for 3s)\r\n", ""} {
		upstream := func(ch ssh.Channel, reqs <-chan *ssh.Request) {
			go ssh.DiscardRequests(reqs)
			ch.Write([]byte("out"))
			ch.Close() // no exit-status: as when the connection is gone
		}
		s := startBridge(t, &bridge{Lost: func() string { return line }}, upstream)
		go ssh.DiscardRequests(s.reqs)
		stderr := make(chan []byte, 1)
		go func() {
			b, _ := io.ReadAll(s.ch.Stderr())
			stderr <- b
		}()
		stdout, _ := io.ReadAll(s.ch)
		if string(stdout) != "out" {
			t.Errorf("stdout %q; want %q", stdout, "out")
		}
		if got := sshtest.RecvWithin(t, stderr, 10*time.Second, "stderr"); string(got) != line {
			t.Errorf("stderr %q; want %q", got, line)
		}
		sshtest.RecvWithin(t, s.done, 10*time.Second, "bridge.Run to return")
	}
}

// TestBridgeHangup: a client that closes its session while the upstream
// command runs makes the bridge signal the command, HUP then TERM, until
// the upstream closes; not after the command's exit-status, nor without
// Hangup (keep-orphans).
func TestBridgeHangup(t *testing.T) {
	tests := []struct {
		name        string
		hangup      bool
		exitFirst   bool   // the command exits before the client leaves
		endOn       string // the signal the command ends on
		wantSignals []string
	}{
		{name: "ends on HUP", hangup: true, endOn: "HUP", wantSignals: []string{"HUP"}},
		{name: "ignores HUP", hangup: true, endOn: "TERM", wantSignals: []string{"HUP", "TERM"}},
		{name: "exited first", hangup: true, exitFirst: true, endOn: "HUP"},
		{name: "keep orphans", endOn: "HUP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var signals []string
			upClosed := make(chan struct{})
			upstream := func(ch ssh.Channel, reqs <-chan *ssh.Request) {
				defer close(upClosed)
				go io.Copy(io.Discard, ch)
				for req := range reqs {
					switch req.Type {
					case "exec":
						req.Reply(true, nil)
						if tt.exitFirst {
							ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{0}))
						}
					case "signal":
						var m signalMsg
						ssh.Unmarshal(req.Payload, &m)
						mu.Lock()
						signals = append(signals, m.Signal)
						mu.Unlock()
						if m.Signal == tt.endOn {
							ch.Close()
						}
					}
				}
			}
			b := &bridge{}
			if tt.hangup {
				b.Hangup = hangup
			}
			s := startBridge(t, b, upstream)
			exited := make(chan struct{})
			go func() {
				for req := range s.reqs {
					if req.Type == "exit-status" {
						close(exited)
					}
				}
			}()
			if ok, err := s.ch.SendRequest("exec", true, ssh.Marshal(struct{ Command string }{"sleep 300"})); !ok || err != nil {
				t.Fatalf("exec: got %v, %v; want true, nil", ok, err)
			}
			if tt.exitFirst {
				sshtest.RecvWithin(t, exited, 10*time.Second, "the exit-status to reach the client")
			}
			s.ch.Close()
			sshtest.RecvWithin(t, s.done, 10*time.Second, "bridge.Run to return")
			sshtest.RecvWithin(t, upClosed, 10*time.Second, "the upstream channel to close")
			mu.Lock()
			defer mu.Unlock()
			if len(signals) != len(tt.wantSignals) || (len(signals) > 0 && signals[len(signals)-1] != tt.wantSignals[len(tt.wantSignals)-1]) {
				t.Errorf("signals sent upstream: %q; want %q", signals, tt.wantSignals)
			}
		})
	}
}
