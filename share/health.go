package share

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// Upstream health. OpenSSH masters are notorious for hanging after a
// network change or a laptop sleep: the TCP connection is dead but nothing
// says so. The master sends keepalive@openssh.com every ServerAliveInterval
// and gives up after ServerAliveCountMax unanswered ones; and before it
// admits a new client after the upstream has been silent, it probes with a
// short deadline, so that client gets a fresh master instead of a hang.

// defaultAliveInterval is ServerAliveInterval when the config leaves it 0
// (ssh's default is off; a master must notice a dead network by itself).
const defaultAliveInterval = 15 * time.Second

// probeAfter is how long the upstream may be silent before a new client
// makes the master probe it.
const probeAfter = time.Second

// minProbeWait bounds a probe from below; slow links get 4 round trips.
const minProbeWait = 1500 * time.Millisecond

// health tracks what the master last heard from its upstream.
type health struct {
	lastHeard atomic.Int64 // unix nanoseconds
	rtt       atomic.Int64 // nanoseconds, last keepalive round trip
	failed    atomic.Bool
	beating   atomic.Bool  // a heartbeat ping is in flight
	healed    atomic.Int64 // times the primary was replaced by a fresh login
	lastHeal  atomic.Int64 // unix nanoseconds of the last heal, 0 if none
}

// heard notes that the upstream answered just now.
func (h *health) heard() { h.lastHeard.Store(time.Now().UnixNano()) }

// silence is how long the upstream has been quiet.
func (h *health) silence() time.Duration {
	return time.Since(time.Unix(0, h.lastHeard.Load()))
}

// ping sends one keepalive on conn, the primary, and waits at most wait
// for the answer, noting the round trip.
func (h *health) ping(conn ssh.Conn, wait time.Duration) error {
	start := time.Now()
	if err := pingConn(conn, wait); err != nil {
		return err
	}
	h.rtt.Store(int64(time.Since(start)))
	h.heard()
	return nil
}

// pingConn sends one keepalive on conn and waits at most wait for the
// answer.
func pingConn(conn ssh.Conn, wait time.Duration) error {
	done := make(chan error, 1)
	go func() {
		_, _, err := conn.SendRequest("keepalive@openssh.com", true, nil)
		done <- err
	}()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("keepalive: %w", err)
		}
		return nil
	case <-t.C:
		return errors.New("keepalive: no answer within " + wait.String())
	}
}

// probeWait is the deadline of a probe: four round trips, at least
// minProbeWait.
func (h *health) probeWait() time.Duration {
	return max(minProbeWait, 4*time.Duration(h.rtt.Load()))
}

// heartbeat is how often a quiet upstream is pinged. Frequent enough that
// a healthy upstream is always "recently heard" when a client arrives (so
// admitting it costs no round trip), rare enough to cost nothing: one tiny
// request per half second of silence, for the persist window at most.
const heartbeat = 500 * time.Millisecond

// keepalive pings the primary upstream whenever it has been quiet for a
// heartbeat, and counts it dead when nothing has been heard for
// ServerAliveInterval * ServerAliveCountMax, capped at maxDeadAfter.
func (m *Master) keepalive() {
	deadAfter := m.deadAfter()
	t := time.NewTicker(heartbeat)
	defer t.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
		}
		primary := m.pool.primary().Conn
		if m.health.silence() >= heartbeat && m.health.beating.CompareAndSwap(false, true) {
			go func() {
				defer m.health.beating.Store(false)
				m.health.ping(primary, deadAfter)
			}()
		}
		if silent := m.health.silence(); silent > deadAfter {
			m.upstreamDead(primary, fmt.Sprintf("nothing heard for %s", silent.Round(time.Second)))
		}
	}
}

// maxDeadAfter caps the silence after which the upstream counts as dead.
// Debian's ssh turns on ServerAliveInterval 300 with BatchMode, which
// would leave a dead master for 15 minutes.
const maxDeadAfter = 45 * time.Second

// deadAfter is how long a silent upstream is given.
func (m *Master) deadAfter() time.Duration {
	interval := m.dialer.Config.ServerAliveInterval
	if interval <= 0 {
		interval = defaultAliveInterval
	}
	return min(interval*time.Duration(max(m.dialer.Config.ServerAliveCountMax, 1)), maxDeadAfter)
}

// upstreamAlive checks the upstream before a new client is admitted, when
// it has been silent for a while. A failed probe heals the upstream or
// ends the master.
func (m *Master) upstreamAlive() bool {
	if m.health.failed.Load() {
		return false
	}
	select {
	case <-m.login.Done():
	default:
		return true // still logging in: the client waits for the login
	}
	if m.login.Err() != nil {
		return false
	}
	if m.health.silence() < probeAfter {
		return true
	}
	primary := m.pool.primary().Conn
	if err := m.health.ping(primary, m.health.probeWait()); err != nil {
		m.upstreamDead(primary, "probe before a new client: "+err.Error())
	}
	return !m.health.failed.Load() && !m.isClosing()
}
