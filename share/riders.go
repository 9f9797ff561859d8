package share

import (
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/sysio"
	"github.com/sshshare/sshshare/share/upstream"
)

// Riders answer "who is riding this master?": the ssh behind each live
// client connection, from the connection's peer credentials. Their
// command lines are read when status asks, not as they connect, so a
// connection costs one read of its peer's parent at most.

// rider is one live client connection: the ssh at its other end.
type rider struct {
	pid    int // the ssh's pid, 0 if unknown
	door   string
	since  time.Time
	logged bool // its connect line is in the log
}

// riders are a master's live client connections.
type riders struct {
	mu   sync.Mutex
	live map[*rider]struct{}
}

// join records the connection conn on door and returns its rider. On the
// ProxyCommand door the peer is sshshare's invocation, which ssh ran with
// `exec`: the ssh is its parent.
func (rs *riders) join(conn net.Conn, door string) *rider {
	r := &rider{door: door, since: time.Now()}
	if pid, err := sysio.PeerPID(conn); err == nil && pid > 0 {
		r.pid = pid
		if door == control.DoorProxyCommand {
			r.pid, _ = sysio.ProcessParent(pid)
		}
	}
	r.pid = max(r.pid, 0)
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.live == nil {
		rs.live = make(map[*rider]struct{})
	}
	rs.live[r] = struct{}{}
	return r
}

// leave forgets r.
func (rs *riders) leave(r *rider) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	delete(rs.live, r)
}

// list is the riders for status, longest-riding first, each with its
// command line read now.
func (rs *riders) list() []control.Rider {
	rs.mu.Lock()
	live := make([]rider, 0, len(rs.live))
	for r := range rs.live {
		live = append(live, *r)
	}
	rs.mu.Unlock()
	slices.SortFunc(live, func(a, b rider) int { return a.since.Compare(b.since) })
	out := make([]control.Rider, len(live))
	for i, r := range live {
		out[i] = control.Rider{Pid: r.pid, Door: r.door, Since: r.since}
		if r.pid > 0 {
			if argv, err := sysio.ProcessArgs(r.pid); err == nil {
				out[i].Command = sshCommand(argv)
			}
		}
	}
	return out
}

// sshCommand shows argv, the command line of a rider's process: ssh's
// arguments, quoted as a shell would need them. They are the user's own,
// and status is the user's alone (the state directory is private), but a
// process that is not ssh shows only its program's name: its arguments
// may hold a secret (sshpass -p). The text is as the process has it:
// whoever prints it escapes it (see package vis).
func sshCommand(argv []string) string {
	if len(argv) == 0 {
		return ""
	}
	name := filepath.Base(argv[0])
	if name != "ssh" {
		return name
	}
	words := make([]string, len(argv))
	words[0] = name
	for i, a := range argv[1:] {
		words[i+1] = shellQuote(a)
	}
	return strings.Join(words, " ")
}

// shellQuote quotes a for a POSIX shell, unless it needs none.
func shellQuote(a string) string {
	plain := a != "" && strings.IndexFunc(a, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r))
	}) < 0
	if plain {
		return a
	}
	return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
}

// clientJoined records a client connection on door and logs it (the mux
// door logs its riders once they have their session: see muxConn.ride).
func (m *Master) clientJoined(conn net.Conn, door string) *rider {
	r := m.riders.join(conn, door)
	m.logJoined(r)
	return r
}

// logJoined logs r's connection with its ssh's pid.
func (m *Master) logJoined(r *rider) {
	r.logged = true
	m.log.Info("client connect", "door", r.door, "client_pid", r.pid)
}

// clientLeft forgets the client connection r and, if its connection was
// logged, logs how long it rode.
func (m *Master) clientLeft(r *rider) {
	m.riders.leave(r)
	if r.logged {
		m.log.Info("client leave", "door", r.door, "client_pid", r.pid, "rode", time.Since(r.since).Round(time.Millisecond))
	}
}

// logTarget names the target in the master's log: user@host:port, or as
// much of it as the invocation gave.
func logTarget(t upstream.Target) string {
	if t.User == "" || t.Port == 0 {
		return strings.TrimPrefix(t.User+"@"+t.Host, "@")
	}
	return t.String()
}
