package share

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/ssh"

	"github.com/sshshare/sshshare/share/mux"
	"github.com/sshshare/sshshare/share/sysio"
)

// A session through the mux door (MUX_C_NEW_SESSION). The client's three
// descriptors follow the request; the master opens a session upstream
// (the spare, or one through the pool past MaxSessions, healed as on the
// ProxyCommand door), asks for the terminal, environment and command the
// client sent, and only then answers SESSION_OPENED: whatever fails before
// that is answered MUX_S_FAILURE, and ssh falls back to its ProxyCommand,
// where plain ssh's own handling (and error messages) apply. Nothing has
// been read from the client's stdin by then. Afterwards the master
// relays the client's descriptors to the channel itself, sends the exit
// status as MUX_S_EXIT_MESSAGE, and closes the connection once all output
// has been written: ssh exits when it sees that close.

// muxRefusal says why the door leaves a session to the ProxyCommand door,
// or "". X11 forwarding reaches the client's own display there; over the
// mux door the client sends neither its display nor its cookie.
func muxRefusal(r *mux.NewSession) string {
	if r.WantX11 {
		return "X11 forwarding goes through sshshare's ProxyCommand"
	}
	return ""
}

// MuxClient is what a mux client's ssh command line says (see
// MasterConfig.MuxClientView).
type MuxClient struct {
	// Refusal, if set, sends the client to its ProxyCommand: the
	// options or alias it was run with make another view of the host
	// than the master's, and the ProxyCommand door finds that view's
	// master.
	Refusal error
	// Stop, with Refusal, carries ssh -O stop (drain) and -O exit to
	// the master of the client's own view, the one its sessions reach
	// through the ProxyCommand door: the mux socket it found is this
	// master's, but the master it means is that one (Ansible's
	// meta: reset_connection, say, with its own ssh options). Nil leaves
	// them to this master, as before.
	Stop func(drain bool) error
	// NoSession is ssh -N: the protocol cannot say so, and the client
	// asks for a shell it will never use.
	NoSession bool
	// ForwardAgent is the ForwardAgent of the client's command line
	// (-A, -a, -o), "" if it gave none: the config's then applies.
	ForwardAgent string
	// Getenv, if set, reads a variable of the client's environment (its
	// SSH_AUTH_SOCK, for agent forwarding); nil where it cannot be read.
	Getenv func(name string) (value string, ok bool, err error)
}

// client reads what the client's command line says, if the master can.
func (c *muxConn) client() MuxClient {
	if c.view == nil {
		return MuxClient{}
	}
	mc := <-c.view
	c.view <- mc // for a later call
	return mc
}

// readClient starts reading what the client's command line says (see
// MasterConfig.MuxClientView) as soon as it has connected: the reads of
// /proc and the parse then overlap the hello and alive exchanges instead
// of delaying its session.
func (c *muxConn) readClient() {
	read := c.m.cfg.MuxClientView
	if read == nil {
		return
	}
	pid, err := sysio.PeerPID(c.conn)
	if err != nil {
		return
	}
	c.view = make(chan MuxClient, 1)
	go func() {
		mc := read(pid)
		if mc.Refusal != nil {
			c.m.log.Info("mux client of another view", "pid", pid, "why", mc.Refusal)
		}
		c.view <- mc
	}()
}

// session serves a NEW_SESSION request to its end.
func (c *muxConn) session(r *mux.NewSession) {
	fds, err := sysio.RecvFds(c.conn, 3)
	if err != nil {
		c.m.log.Info("mux session: descriptors not received", "err", err)
		return
	}
	why := muxRefusal(r)
	client := c.client()
	if why == "" && client.Refusal != nil {
		why = "sshshare: " + client.Refusal.Error()
	}
	var agentOf *muxAgent
	if why == "" && r.WantAgent {
		sock, err := muxAgentSocket(c.m.dialer.Config, client)
		switch {
		case err != nil:
			why = err.Error()
		case sock != "":
			agentOf = &muxAgent{m: c.m, sock: sock}
			defer func() {
				agentOf.gone.Store(true)
				c.m.routes.dropAgent(agentOf)
			}()
		}
	}
	if why != "" {
		sysio.CloseFds(fds)
		c.fail(r.RequestID, why)
		return
	}
	files, err := adoptClientFds(fds, []string{"stdin", "stdout", "stderr"})
	if err != nil {
		c.fail(r.RequestID, "sshshare: "+err.Error())
		return
	}
	defer closeClientFiles(files)
	if !c.m.admit() {
		c.fail(r.RequestID, "the sshshare master is ending")
		return
	}
	defer c.m.leave()
	if client.NoSession {
		closeClientFiles(files)
		c.forwardsOnly(r)
		return
	}
	s, ptyOK, err := c.startUpstream(r, files[0], agentOf)
	if err != nil {
		c.m.log.Info("mux session not started; ssh falls back to its ProxyCommand", "err", err)
		c.fail(r.RequestID, err.Error())
		return
	}
	defer s.release()
	c.d.sessions.Add(1)
	ms := &muxSession{c: c, id: c.d.nextID.Add(1), s: s, in: files[0], out: files[1], errOut: files[2],
		tty: r.WantTTY, running: !r.Subsystem}
	if err := c.opened(r.RequestID, ms.id); err != nil {
		s.ch.Close()
		return
	}
	if r.WantTTY && !ptyOK {
		io.WriteString(ms.errOut, "PTY allocation request failed\r\n")
		c.reply(&mux.TTYAllocFail{SessionID: ms.id})
	}
	if r.WantTTY && r.EscapeChar != mux.EscapeNone && r.EscapeChar < 256 {
		ms.escape = newEscapeFilter(byte(r.EscapeChar))
	}
	ms.run()
}

// forwardsOnly serves ssh -N: it opens no session upstream (a shell would
// read the user's terminal), answers SESSION_OPENED so the client keeps
// its forwards, and waits for the client to go; ssh then exits as it
// would have, killed or interrupted.
func (c *muxConn) forwardsOnly(r *mux.NewSession) {
	c.d.sessions.Add(1)
	if err := c.opened(r.RequestID, c.d.nextID.Add(1)); err != nil {
		return
	}
	io.Copy(io.Discard, c.conn)
}

// adoptClientFds takes the received descriptors for the master (see
// sysio.AdoptClientFd): the first is read, the others written.
func adoptClientFds(fds []int, names []string) ([]*sysio.ClientFile, error) {
	files := make([]*sysio.ClientFile, 0, len(fds))
	for i, fd := range fds {
		f, err := sysio.AdoptClientFd(fd, names[i], i > 0)
		if err != nil {
			sysio.CloseFds(fds[i+1:])
			closeClientFiles(files)
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// closeClientFiles closes files last first: one open file description
// handed over twice (scp's socketpair) gets its first flags back last.
func closeClientFiles(files []*sysio.ClientFile) {
	for i := len(files) - 1; i >= 0; i-- {
		files[i].Close()
	}
}

// startUpstream opens a session upstream and starts what r asks for on
// it, forwarding agentOf's agent if set. A spare whose connection turns
// out dead is replaced by a session on the healed connection, as on the
// ProxyCommand door (see resume.go). ptyOK reports whether the server
// gave the terminal r asked for.
func (c *muxConn) startUpstream(r *mux.NewSession, stdin *sysio.ClientFile, agentOf *muxAgent) (s upSession, ptyOK bool, err error) {
	reqs := sessionRequests(r, stdin, agentOf != nil)
	s, watched := c.m.takeSpare()
	if !watched {
		if s, err = c.m.pool.openSession(c.ctx, nil); err != nil {
			return s, false, err
		}
	}
	if s, watched, err = c.placeAgent(s, watched, agentOf); err != nil {
		return s, false, err
	}
	s.pty = r.WantTTY
	for i, req := range reqs {
		ok, err := c.send(s, req, watched)
		if errors.Is(err, errUpstreamDead) {
			s.ch.Close()
			s.release()
			if s, err = c.resumeOn(reqs[:i], agentOf); err != nil {
				return s, false, err
			}
			s.pty = r.WantTTY
			ok, err = s.ch.SendRequest(req.Type, req.WantReply, req.Payload)
		}
		if err == nil && !ok && startsSession(req.Type) {
			err = fmt.Errorf("the server refused the %s request", req.Type)
		}
		if err != nil {
			s.ch.Close()
			s.release()
			return s, false, err
		}
		if req.Type == "pty-req" {
			ptyOK = ok
		}
	}
	return s, ptyOK, nil
}

// send sends one request on s, watched while s is a spare.
func (c *muxConn) send(s upSession, req *ssh.Request, watched bool) (bool, error) {
	if watched {
		return c.m.sendWatched(s.conn, s.ch, req)
	}
	return s.ch.SendRequest(req.Type, req.WantReply, req.Payload)
}

// placeAgent puts s on an upstream connection that forwards agentOf's
// agent or none (see Master.placeAgent); a session moved there is no
// longer the spare it may have been. A session that cannot be placed is
// closed: ssh falls back to its ProxyCommand.
func (c *muxConn) placeAgent(s upSession, watched bool, agentOf *muxAgent) (upSession, bool, error) {
	if agentOf == nil {
		return s, watched, nil
	}
	placed, err := c.m.placeAgent(c.ctx, agentOf, s, nil)
	if err != nil {
		s.ch.Close()
		s.release()
		return s, false, err
	}
	return placed, watched && placed.ch == s.ch, nil
}

// resumeOn opens a fresh session, placed for agentOf's agent if set, and
// replays the requests already sent.
func (c *muxConn) resumeOn(sent []*ssh.Request, agentOf *muxAgent) (upSession, error) {
	s, err := c.m.pool.openSession(c.ctx, nil)
	if err != nil {
		return s, err
	}
	if s, _, err = c.placeAgent(s, false, agentOf); err != nil {
		return s, err
	}
	for _, req := range sent {
		s.ch.SendRequest(req.Type, req.WantReply, req.Payload)
	}
	c.m.log.Info("mux session resumed on a fresh upstream connection", "requests", len(sent))
	return s, nil
}

// ptyRequestMsg is the payload of a pty-req (RFC 4254 section 6.2).
type ptyRequestMsg struct {
	Term          string
	Columns, Rows uint32
	Width, Height uint32
	Modes         string
}

// envRequestMsg is the payload of an env request (RFC 4254 section 6.4).
type envRequestMsg struct {
	Name, Value string
}

// sessionRequests are the channel requests that start r, in OpenSSH's
// order: auth-agent-req (if agent), pty-req, env, then exec, subsystem or
// shell. Every variable the client sent is passed on: the client already
// applied its SendEnv and SetEnv, and the server's AcceptEnv decides.
func sessionRequests(r *mux.NewSession, stdin *sysio.ClientFile, agent bool) []*ssh.Request {
	var reqs []*ssh.Request
	if agent {
		reqs = append(reqs, &ssh.Request{Type: "auth-agent-req@openssh.com"})
	}
	if r.WantTTY {
		reqs = append(reqs, &ssh.Request{Type: "pty-req", WantReply: true, Payload: ssh.Marshal(ptyRequest(r.Term, stdin))})
	}
	for _, kv := range r.Env {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			continue
		}
		reqs = append(reqs, &ssh.Request{Type: "env", Payload: ssh.Marshal(envRequestMsg{name, value})})
	}
	switch {
	case r.Subsystem:
		reqs = append(reqs, &ssh.Request{Type: "subsystem", WantReply: true, Payload: ssh.Marshal(struct{ Name string }{r.Command})})
	case r.Command != "":
		reqs = append(reqs, &ssh.Request{Type: "exec", WantReply: true, Payload: ssh.Marshal(struct{ Command string }{r.Command})})
	default:
		reqs = append(reqs, &ssh.Request{Type: "shell", WantReply: true})
	}
	return reqs
}

// ptyRequest is the terminal request for term, with the modes and window
// size of the client's terminal; a stdin that is no terminal (ssh -tt in
// a pipe) gives no modes and a zero size, as with OpenSSH.
func ptyRequest(term string, stdin *sysio.ClientFile) ptyRequestMsg {
	msg := ptyRequestMsg{Term: term, Modes: "\x00"}
	if !stdin.Terminal {
		return msg
	}
	stdin.Control(func(fd uintptr) {
		if modes, err := sysio.TerminalModes(fd); err == nil {
			msg.Modes = string(modes)
		}
		msg.Columns, msg.Rows, msg.Width, msg.Height, _ = sysio.WindowSize(fd)
	})
	return msg
}

// muxSession is a session running for a mux client.
type muxSession struct {
	c       *muxConn
	id      uint32 // the session id of SESSION_OPENED, in the exit message
	s       upSession
	in      *sysio.ClientFile
	out     *sysio.ClientFile
	errOut  *sysio.ClientFile
	tty     bool
	escape  *escapeFilter // nil without a terminal, or with EscapeChar none
	running bool          // a shell or a command, which the client's going may orphan
	exited  atomic.Bool   // exit-status or exit-signal came
	winsize [4]uint32     // the window size last sent (see winchWatch)
}

// run relays the session until the server has closed it and its output
// has been written, or the client has gone.
func (ms *muxSession) run() {
	m := ms.c.m
	m.stats.channels.Add(1)
	defer m.stats.channels.Add(-1)
	upDone := make(chan struct{})
	go func() {
		ms.serverRequests()
		close(upDone)
	}()
	outDone := make(chan struct{})
	go func() {
		ms.copyOut()
		close(outDone)
	}()
	go ms.copyIn()
	if ms.tty && ms.in.Terminal {
		ms.c.d.winch.add(ms)
		defer ms.c.d.winch.remove(ms)
		defer ms.s.prio.Terminal()()
	}
	clientGone := make(chan struct{})
	go func() {
		io.Copy(io.Discard, ms.c.conn) // a client sends nothing more; EOF means it has gone
		close(clientGone)
	}()
	select {
	case <-upDone:
	case <-clientGone:
		if ms.running && !ms.exited.Load() && !m.cfg.KeepOrphans {
			hangup(ms.s.ch, upDone)
		}
		ms.s.ch.Close()
	}
	<-outDone
	<-upDone
	ms.s.ch.Close()
}

// serverRequests answers the server's requests on the session and passes
// its exit status to the client; they end when the channel has closed.
// An exit signal sends nothing: ssh then exits 255, as plain ssh does.
func (ms *muxSession) serverRequests() {
	sent := false
	for req := range ms.s.reqs {
		switch req.Type {
		case "exit-status":
			var st struct{ Status uint32 }
			if ssh.Unmarshal(req.Payload, &st) == nil && !sent {
				sent = true
				ms.c.reply(&mux.ExitMessage{SessionID: ms.id, ExitValue: st.Status})
			}
			ms.exited.Store(true)
		case "exit-signal":
			ms.exited.Store(true)
		}
		if req.WantReply {
			req.Reply(false, nil)
		}
	}
}

// copyOut writes the session's output and error output to the client's
// descriptors until the server's EOF. When the client's side stops taking
// output (a reader that has gone), the session is closed, as plain ssh's
// would be, rather than left to run unread. A line saying why the master
// gave up the upstream connection, if it did, comes last (see lostLine).
func (ms *muxSession) copyOut() {
	m := ms.c.m
	errDone := make(chan struct{})
	go func() {
		defer close(errDone)
		if copyToClient(ms.errOut.Raw(), ms.s.ch.Stderr(), &m.stats.bytesIn) != nil {
			ms.s.ch.Close()
		}
	}()
	out := io.Reader(ms.s.ch)
	if !ms.tty {
		out = ms.s.prio.Bulk(out) // a terminal's typing on the same connection goes first
	}
	if copyToClient(ms.out.Raw(), out, &m.stats.bytesIn) != nil {
		ms.s.ch.Close()
	}
	<-errDone
	if ms.s.conn != nil {
		if line := m.lostLine(ms.s.conn, ms.tty); line != "" {
			io.WriteString(ms.errOut, line)
		}
	}
}

// copyToClient copies src to the client's dst until src ends, and
// returns the first write error; the rest of src is then drained.
func copyToClient(dst io.Writer, src io.Reader, count *atomic.Int64) error {
	buf := make([]byte, 32<<10)
	var werr error
	for {
		n, err := src.Read(buf)
		if n > 0 {
			count.Add(int64(n))
			if werr == nil {
				_, werr = dst.Write(buf[:n])
				if werr != nil {
					return werr
				}
			}
		}
		if err != nil {
			return nil
		}
	}
}

// copyIn sends what the client types or pipes in to the session, through
// the escape filter on a terminal, and the end of its input as EOF. It
// stops when the session ends and its stdin is closed, so no read is
// left pending on the user's terminal.
func (ms *muxSession) copyIn() {
	m := ms.c.m
	var in io.Reader = ms.in.Raw()
	if ms.tty && ms.in.Terminal {
		in = ms.s.prio.Keys(in)
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := in.Read(buf)
		if n > 0 {
			if !ms.send(buf[:n]) {
				return
			}
			m.stats.bytesOut.Add(int64(n))
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				ms.s.ch.CloseWrite()
			}
			return
		}
	}
}

// send sends data from the client, acting on escape sequences in it; it
// reports whether the session goes on.
func (ms *muxSession) send(data []byte) bool {
	act := escapeNone
	if ms.escape != nil {
		var msg string
		data, msg, act = ms.escape.filter(data)
		if msg != "" {
			io.WriteString(ms.errOut, msg)
		}
	}
	if len(data) > 0 {
		if _, err := ms.s.ch.Write(data); err != nil {
			return false
		}
	}
	switch act {
	case escapeClose:
		ms.s.ch.Close()
		return false
	case escapeBreak:
		ms.s.ch.SendRequest("break", false, ssh.Marshal(struct{ Millis uint32 }{1000}))
	}
	return true
}
