package share

import (
	"time"

	"github.com/sshshare/sshshare/share/control"
)

// Status reports the master's state now.
func (m *Master) Status() *control.Status {
	m.mu.Lock()
	clients, draining := m.clients, m.draining
	m.mu.Unlock()
	s := &control.Status{
		Protocol: control.ProtocolVersion, Build: m.cfg.Build,
		Target: m.cfg.Target.String(), Alias: m.cfg.Target.Alias, Mode: m.mode(), Via: m.cfg.Via, Pid: m.pid(), Socket: m.cfg.Socket,
		Started: m.started, Clients: clients, Channels: m.stats.channels.Load(),
		Forwards: m.routes.count() + m.muxFwd.listening(),
		BytesIn:  m.stats.bytesIn.Load(), BytesOut: m.stats.bytesOut.Load(),
		PersistSeconds: m.cfg.Persist.Seconds(), Healthy: m.healthy(), Draining: draining,
		KeepaliveRTT:  float64(m.health.rtt.Load()) / 1e6,
		SilentSeconds: m.health.silence().Seconds(), Healed: m.health.healed.Load(),
		Log:        control.LogPath(m.cfg.Socket),
		SSHOptions: m.cfg.SSHOptions, SSHOptionsUnread: m.cfg.SSHOptionsUnread,
	}
	s.Upstreams, s.SessionsWaiting = m.upstreams()
	s.Tunnels, s.TunnelTargets = m.tunnelsLive.snapshot()
	s.LastError, _ = m.lastErr.Load().(string)
	s.Identity, _ = m.identity.Load().(string)
	if d := m.mux.Load(); d != nil {
		s.MuxSocket, s.MuxSessions = d.ln.path, d.sessions.Load()
	}
	if clients == 0 {
		last := m.started
		if n := m.stats.lastUsed.Load(); n != 0 {
			last = time.Unix(0, n)
		}
		s.IdleSeconds = time.Since(last).Seconds()
	}
	return s
}

// upstreams is the number of pooled upstream connections, and waiting
// the session opens that wait for a slot on them.
func (m *Master) upstreams() (upstreams, waiting int) {
	if p := m.loggedIn(); p != nil {
		return p.size(), int(p.waiting.Load())
	}
	return 0, 0
}

// healthy reports whether the master is logged in and its upstream has
// answered lately.
func (m *Master) healthy() bool {
	select {
	case <-m.login.Done():
		overdue := m.health.silence() > heartbeat+m.health.probeWait()
		return m.login.Err() == nil && !m.health.failed.Load() && !overdue
	default:
		return false
	}
}

// mode is what the master was started for.
func (m *Master) mode() string {
	if m.cfg.Mode == "" {
		return control.OpShare
	}
	return m.cfg.Mode
}
