package share

import (
	"context"
	"log/slog"
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
	pid   int // the ssh's pid, 0 if unknown
	door  string
	since time.Time
	// logged is set when the connect line is written or due, by the
	// goroutine that will log the leave; joined writes the line once, and
	// later holds it back (see Master.logJoinedSoon).
	logged bool
	joined sync.Once
	later  *time.Timer
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
	live := make([]*rider, 0, len(rs.live))
	for r := range rs.live {
		live = append(live, r) // pid, door and since do not change
	}
	rs.mu.Unlock()
	slices.SortFunc(live, func(a, b *rider) int { return a.since.Compare(b.since) })
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
	r.logged = true
	m.logJoined(r)
	return r
}

// joinLogDelay is how long a ride of the mux door lasts before its
// connect line is written; a shorter one has it written as it leaves.
const joinLogDelay = time.Second

// logJoinedSoon has r's connect line written once r has ridden for
// joinLogDelay, or as it leaves if that is sooner. A write to the log is a
// system call that may block, so Go makes it with the scheduler told, and
// the first such call after an idle spell wakes the scheduler's monitor
// thread, which then ticks beside sshd and ssh until the master is idle
// again (see sysio/rawsys_linux.go): a warm `ssh host true` is over in a
// few milliseconds, and its two lines are written together after ssh has
// been let go.
func (m *Master) logJoinedSoon(r *rider) {
	r.logged = true
	r.later = time.AfterFunc(joinLogDelay, func() { m.logJoined(r) })
}

// logJoined logs r's connection with its ssh's pid, stamped with the time
// it joined.
func (m *Master) logJoined(r *rider) {
	r.joined.Do(func() {
		rec := slog.NewRecord(r.since, slog.LevelInfo, "client connect", 0)
		rec.AddAttrs(slog.String("door", r.door), slog.Int("client_pid", r.pid))
		m.log.Handler().Handle(context.Background(), rec)
	})
}

// clientLeft forgets the client connection r and, if its connection was
// logged, logs how long it rode (after its connect line, if that was
// still to come).
func (m *Master) clientLeft(r *rider) {
	m.riders.leave(r)
	if !r.logged {
		return
	}
	if r.later != nil {
		r.later.Stop()
		m.logJoined(r)
	}
	m.log.Info("client leave", "door", r.door, "client_pid", r.pid, "rode", time.Since(r.since).Round(time.Millisecond))
}

// logTarget names the target in the master's log: user@host:port, or as
// much of it as the invocation gave.
func logTarget(t upstream.Target) string {
	if t.User == "" || t.Port == 0 {
		return strings.TrimPrefix(t.User+"@"+t.Host, "@")
	}
	return t.String()
}
