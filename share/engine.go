package share

import (
	"errors"
	"strings"

	"github.com/sshshare/sshshare/share/upstream"
)

// The master's upstream engine (see upstream/engine.go): the Go engine,
// or the user's own ssh attached in proxy mode. Everything above the
// upstream ssh.Conn is the same for both.

// engineCommand is a ConfigLoader that can also give the OpenSSH engine's
// command line for the same view (upstream.ConfigLoader does).
type engineCommand interface {
	EngineCommand(t upstream.Target) (upstream.SSHCommand, error)
}

// checkEngine checks that the chosen engine can run, and logs why it was
// chosen.
func (m *Master) checkEngine(cfg upstream.HostConfig) error {
	if cfg.Engine != upstream.EngineOpenSSH {
		return cfg.Algorithms.Check()
	}
	if _, ok := m.cfg.Loader.(engineCommand); !ok {
		return errors.New("openssh engine: this master has no ssh command line for its view")
	}
	m.log.Info("engine openssh", "asked", cfg.EngineAsked, "needs", strings.Join(cfg.NeedsOpenSSH, "; "))
	return nil
}

// openSSH is what the OpenSSH engine needs from the master, or nil when
// its config loader cannot give ssh's command line. It is called once
// m.cfg.Via is final: a master routed through jump hosts' masters gives
// its ssh the tunnel through them as its ProxyCommand.
func (m *Master) openSSH() *upstream.OpenSSH {
	loader, ok := m.cfg.Loader.(engineCommand)
	if !ok {
		return nil
	}
	o := &upstream.OpenSSH{Command: loader.EngineCommand, Dir: m.cfg.StateDir, Self: m.cfg.Self}
	if m.cfg.Via != "" && m.cfg.Tunnel != nil {
		o.Route = m.cfg.Tunnel(m.cfg.Via) // the jump hosts' masters, as the Go engine's route
	}
	return o
}
