package share

import (
	"cmp"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/mux"
	"github.com/sshshare/sshshare/share/upstream"
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
	s.Engine, s.EnginePIDs = m.engine()
	s.Tunnels, s.TunnelTargets = m.tunnelsLive.snapshot()
	s.LastError, _ = m.lastErr.Load().(string)
	s.Identity, _ = m.identity.Load().(string)
	if d := m.mux.Load(); d != nil {
		s.MuxSocket, s.MuxSessions = d.ln.path, d.sessions.Load()
	}
	s.Riders = m.riders.list()
	s.ForwardsDetail = append(m.routes.detail(), m.muxFwd.detail()...)
	if n := m.health.lastHeal.Load(); n != 0 {
		s.LastHeal = time.Unix(0, n)
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

// engine is the master's upstream engine and, for the openssh engine,
// the process ids of its ssh processes, the primary's first.
func (m *Master) engine() (string, []int) {
	if m.dialer == nil {
		return "", nil
	}
	engine := cmp.Or(m.dialer.Config.Engine, upstream.EngineGo)
	p := m.loggedIn()
	if p == nil || engine != upstream.EngineOpenSSH {
		return engine, nil
	}
	return engine, p.enginePIDs()
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

// detail lists the live remote listeners of ProxyCommand clients, for
// status; those of the mux door are the master's (muxForwards.detail).
func (r *routes) detail() []control.Forward {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []control.Forward
	for k, f := range r.forwards {
		c, ok := f.owner.(*client)
		if !ok || f.carrying {
			continue
		}
		out = append(out, control.Forward{Spec: "-R " + k.String(), Owner: control.OwnerClient, OwnerPid: c.pid})
	}
	slices.SortFunc(out, func(a, b control.Forward) int { return strings.Compare(a.Spec, b.Spec) })
	return out
}

// detail lists the forwards open over the mux door, for status: the
// master holds them (they end with a client only if it had a session).
func (fw *muxForwards) detail() []control.Forward {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	var out []control.Forward
	for f, open := range fw.open {
		if port := open.allocated(f); port != 0 {
			f.ListenPort = port // -R 0: the port the server chose
		}
		out = append(out, control.Forward{Spec: muxForwardSpec(f), Owner: control.OwnerMaster})
	}
	slices.SortFunc(out, func(a, b control.Forward) int { return strings.Compare(a.Spec, b.Spec) })
	return out
}

// muxForwardSpec spells f as ssh's -L, -R or -D option does.
func muxForwardSpec(f mux.Forward) string {
	side := func(host string, port uint32) string {
		switch {
		case port == mux.PortStreamLocal:
			return host
		case host == "":
			return strconv.Itoa(int(port))
		}
		return net.JoinHostPort(host, strconv.Itoa(int(port)))
	}
	listen := side(f.ListenHost, f.ListenPort)
	switch f.Kind {
	case mux.ForwardLocal:
		return "-L " + listen + ":" + side(f.ConnectHost, f.ConnectPort)
	case mux.ForwardDynamic:
		return "-D " + listen
	}
	return "-R " + listen + ":" + side(f.ConnectHost, f.ConnectPort)
}
