package share

import (
	"time"
)

// Status describes a running master, for `sshshare status`.
type Status struct {
	Target         string    `json:"target"`
	Alias          string    `json:"alias,omitempty"` // the host name as typed (ssh's %n)
	Mode           string    `json:"mode"`
	Via            string    `json:"via"`
	Pid            int       `json:"pid"`
	Socket         string    `json:"socket"`
	Started        time.Time `json:"started"`
	Clients        int       `json:"clients"`
	Channels       int64     `json:"channels"`
	Upstreams      int       `json:"upstreams"`
	Tunnels        int       `json:"tunnels"`
	TunnelTargets  []string  `json:"tunnel_targets"`
	Forwards       int       `json:"forwards"`
	BytesIn        int64     `json:"bytes_in"`
	BytesOut       int64     `json:"bytes_out"`
	IdleSeconds    float64   `json:"idle_seconds"`
	PersistSeconds float64   `json:"persist_seconds"`
	Healthy        bool      `json:"healthy"`
	KeepaliveRTT   float64   `json:"keepalive_rtt_ms"`
	SilentSeconds  float64   `json:"upstream_silent_seconds"`
	Healed         int64     `json:"healed"`
	Draining       bool      `json:"draining"`
	Log            string    `json:"log"`
	LastError      string    `json:"last_error,omitempty"` // the last problem, also in the log
}

// Status reports the master's state now.
func (m *Master) Status() *Status {
	m.mu.Lock()
	clients, draining := m.clients, m.draining
	m.mu.Unlock()
	s := &Status{
		Target: m.cfg.Target.String(), Alias: m.cfg.Target.Alias, Mode: m.mode(), Via: m.cfg.Via, Pid: m.pid(), Socket: m.cfg.Socket,
		Started: m.started, Clients: clients, Channels: m.stats.channels.Load(),
		Upstreams: m.upstreams(), Forwards: m.routes.count(),
		BytesIn: m.stats.bytesIn.Load(), BytesOut: m.stats.bytesOut.Load(),
		PersistSeconds: m.cfg.Persist.Seconds(), Healthy: m.healthy(), Draining: draining,
		KeepaliveRTT:  float64(m.health.rtt.Load()) / 1e6,
		SilentSeconds: m.health.silence().Seconds(), Healed: m.health.healed.Load(),
		Log: LogPath(m.cfg.Socket),
	}
	s.Tunnels, s.TunnelTargets = m.tunnelsLive.snapshot()
	s.LastError, _ = m.lastErr.Load().(string)
	if clients == 0 {
		last := m.started
		if n := m.stats.lastUsed.Load(); n != 0 {
			last = time.Unix(0, n)
		}
		s.IdleSeconds = time.Since(last).Seconds()
	}
	return s
}

// LogPath is the master's log file beside its socket.
func LogPath(socket string) string { return socket + ".log" }

// upstreams is the number of pooled upstream connections.
func (m *Master) upstreams() int {
	select {
	case <-m.login.Done():
		if m.pool != nil {
			return m.pool.Size()
		}
	default:
	}
	return 0
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
		return OpShare
	}
	return m.cfg.Mode
}
