package share

import (
	"fmt"
	"strings"
	"time"

	"github.com/sshshare/sshshare/share/vis"
	"golang.org/x/crypto/ssh"
)

// Why a session ended. A session whose upstream connection the master gave
// up on (no answer, closed, or a heal that failed) ends without an exit
// status, and ssh alone would say nothing useful ("client_loop: send
// disconnect: Broken pipe" at best). Before its channel's EOF the master
// writes one `sshshare:` line on the session's stderr, which ssh prints as
// it prints the remote command's stderr: what was lost and why.

// lostLeaveWait bounds how long a master ending because its upstream was
// lost waits for its clients to read that line and leave, before it closes
// their connections.
const lostLeaveWait = 2 * time.Second

// lostConns records why upstream connections were given up, for the
// sessions that end with them; guarded by Master.mu.
type lostConns struct {
	byConn map[ssh.Conn]string
	ending string // why the whole master is ending, for every connection
}

// noteLost records why conn was given up, before it is closed.
func (m *Master) noteLost(conn ssh.Conn, why string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lost.byConn == nil || len(m.lost.byConn) >= maxLostConns {
		// The sessions of connections given up long ago have ended:
		// start again rather than grow with every heal.
		m.lost.byConn = make(map[ssh.Conn]string)
	}
	m.lost.byConn[conn] = why
}

// maxLostConns bounds lostConns.byConn; a master gives up a connection at
// a heal or when it prunes one, rarely more than a few in a row.
const maxLostConns = 64

// noteEnding records why the master ends for lack of an upstream: every
// session still open ends with that line.
func (m *Master) noteEnding(why string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lost.ending = why
}

// lostLine is the line for a session on conn whose upstream side has just
// ended: why conn was given up, or why the master is ending; "" when
// neither applies (the server ended the session). The reason may hold a
// server's words (a disconnect message in a login error), so it is
// escaped; the line ends in CR LF on a terminal (pty), else LF.
func (m *Master) lostLine(conn ssh.Conn, pty bool) string {
	m.mu.Lock()
	why, ok := m.lost.byConn[conn]
	if !ok {
		why = m.lost.ending
	}
	m.mu.Unlock()
	if why == "" {
		return ""
	}
	return stderrLine(vis.Line(strings.Join(strings.Fields(why), " ")), pty)
}

// stderrLine is msg as one sshshare line on a session's stderr, which the
// client's ssh prints: it ends in CR LF on a terminal (pty), else LF.
func stderrLine(msg string, pty bool) string {
	if pty {
		return "sshshare: " + msg + "\r\n"
	}
	return "sshshare: " + msg + "\n"
}

// lostWhy phrases a lost connection: to what, and why.
func (m *Master) lostWhy(reason string) string {
	return fmt.Sprintf("connection to %s lost (%s)", m.cfg.Target, reason)
}

// endingLost reports whether the master is ending because its upstream
// was lost.
func (m *Master) endingLost() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lost.ending != ""
}

// awaitClientsLeft waits, up to wait, until no client is connected: ssh
// ends once its sessions have closed, after printing their last lines.
func (m *Master) awaitClientsLeft(wait time.Duration) {
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		m.mu.Lock()
		n := m.clients
		m.mu.Unlock()
		if n <= 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
