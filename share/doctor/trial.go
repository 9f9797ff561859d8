package doctor

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/sshshare/sshshare/share/control"
)

// trialWait bounds each trial connection: a cold one may wait for a
// password or a second factor.
const trialWait = 2 * time.Minute

// Trial connects to a host twice with `ssh HOST true`, as the user would,
// and reports the time each took and what it cost: the cold connect
// starts the host's master (one login), the warm one rides it. A master
// that already runs is not stopped for the trial: only the warm connect
// is made then.
type Trial struct {
	SSH        string // "" means ssh from PATH
	ConfigFile string // ssh's -F
	Host       string // as the user types it
	StateDir   string // where the registry of masters is
}

// masterSnapshot is what the trial reads of the running masters.
type masterSnapshot map[int]*control.Status

// Run makes the trial.
func (t Trial) Run(ctx context.Context) []Finding {
	before := t.masters()
	if m := t.hostMaster(before); m != nil {
		out := []Finding{ok("trial.cold", fmt.Sprintf("no cold trial: master %d for %s runs already, and the trial does not stop a master you use", m.Pid, m.Target))}
		return append(out, t.warm(ctx, before))
	}
	took, err := t.connect(ctx)
	if err != nil {
		return []Finding{t.failed("trial.cold", err)}
	}
	after := t.masters()
	started := newMasters(before, after)
	cold := ok("trial.cold", fmt.Sprintf("cold `ssh %s true`: %s, %s", t.Host, round(took), logins(len(started))))
	if len(started) != 1 {
		cold = warn("trial.cold", fmt.Sprintf("cold `ssh %s true`: %s, %s, where sshshare makes one", t.Host, round(took), logins(len(started))),
			"see `sshshare status` and the masters' logs")
	}
	return []Finding{cold, t.warm(ctx, after)}
}

// warm makes the warm connect, with the masters as they were before it.
func (t Trial) warm(ctx context.Context, before masterSnapshot) Finding {
	took, err := t.connect(ctx)
	if err != nil {
		return t.failed("trial.warm", err)
	}
	after := t.masters()
	if n := len(newMasters(before, after)); n > 0 {
		return broken("trial.warm", fmt.Sprintf("warm `ssh %s true`: %s, but it logged in again (%s): it did not ride the running master", t.Host, round(took), logins(n)),
			"run `sshshare doctor "+t.Host+"` without --try for the set-up, and compare `sshshare status` before and after an ssh")
	}
	return ok("trial.warm", fmt.Sprintf("warm `ssh %s true`: %s, no login, %s", t.Host, round(took), door(before, after)))
}

// door says which door of which master the warm connect went through,
// from the masters' counters before and after it.
func door(before, after masterSnapshot) string {
	for pid, s := range after {
		b, ok := before[pid]
		if !ok {
			continue
		}
		switch {
		case s.MuxSessions > b.MuxSessions:
			return fmt.Sprintf("through master %d's mux door", pid)
		case s.Channels > b.Channels:
			return fmt.Sprintf("through master %d's ProxyCommand door", pid)
		}
	}
	return "through no master sshshare knows of"
}

// connect runs `ssh HOST true` and returns how long it took.
func (t Trial) connect(ctx context.Context) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, trialWait)
	defer cancel()
	args := []string{}
	if t.ConfigFile != "" {
		args = append(args, "-F", t.ConfigFile)
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, sshOr(t.SSH), append(args, t.Host, "true")...)
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if err != nil {
		return took, fmt.Errorf("%w: %s", err, lastLine(stderr.String()))
	}
	return took, nil
}

// failed is a trial connect that failed.
func (t Trial) failed(id string, err error) Finding {
	return broken(id, fmt.Sprintf("`ssh %s true` failed: %v", t.Host, err),
		"run `ssh -v "+t.Host+" true` to see where it stops; a master's log is named by `sshshare status --json`")
}

// masters reads the status of every registered master, by pid.
func (t Trial) masters() masterSnapshot {
	snap := make(masterSnapshot)
	sockets, _ := control.RegisteredSockets(t.StateDir)
	for _, socket := range sockets {
		reply, err := control.Query(t.StateDir, socket, control.Hello{Op: control.OpStatus})
		if err == nil && reply.Status != nil {
			snap[reply.Status.Pid] = reply.Status
		}
	}
	return snap
}

// hostMaster is a running share master for the trial's host.
func (t Trial) hostMaster(snap masterSnapshot) *control.Status {
	for _, s := range snap {
		if s.Mode != control.OpTunnel && (s.Alias == t.Host || targetHost(s.Target) == t.Host) {
			return s
		}
	}
	return nil
}

// newMasters are the pids in after that before did not have.
func newMasters(before, after masterSnapshot) []int {
	var pids []int
	for pid := range after {
		if _, ok := before[pid]; !ok {
			pids = append(pids, pid)
		}
	}
	return pids
}

// targetHost is the host of a master's target, user@host:port.
func targetHost(target string) string {
	hostPort := target
	if _, after, found := strings.Cut(target, "@"); found {
		hostPort = after
	}
	if i := strings.LastIndexByte(hostPort, ':'); i >= 0 {
		hostPort = hostPort[:i]
	}
	return strings.Trim(hostPort, "[]")
}

// logins says how many logins n new masters made.
func logins(n int) string {
	switch n {
	case 0:
		return "no login (no new master)"
	case 1:
		return "1 login (a new master)"
	}
	return fmt.Sprintf("%d logins (%d new masters)", n, n)
}

// round shows a duration to the millisecond.
func round(d time.Duration) string { return d.Round(time.Millisecond).String() }

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// sshOr is ssh, or "ssh" from PATH when empty.
func sshOr(ssh string) string {
	if ssh == "" {
		return "ssh"
	}
	return ssh
}
