package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/upstream"
)

// checkView reads the host's config as the master will, `ssh -G` of its
// view without sshshare's line (upstream.ConfigLoader), and reports the
// route the master logs in by, the keywords it does not apply upstream
// (docs/config.md) and a value that stops it before any login.
func (h *Host) checkView(ctx context.Context) []Finding {
	if h.FlagsErr != nil {
		return nil
	}
	cfg, err := h.Flags.Loader.Load(ctx, h.Flags.Target)
	if err == nil && cfg.Engine != upstream.EngineOpenSSH {
		err = cfg.Algorithms.Check()
	}
	if err != nil {
		fix := hint.Of(err)
		if fix == "" {
			fix = "change the Host block as the message says (docs/config.md)"
		}
		return []Finding{broken("view.refusal", "the master would stop before any login: "+err.Error(), fix)}
	}
	out := []Finding{ok("view.route", "the master's view of "+h.Name+" (ssh -G without sshshare's line): "+viewRoute(h.Flags.Target, cfg))}
	if cfg.Engine == upstream.EngineOpenSSH {
		// Your own ssh logs in: every keyword applies (docs/config.md).
		return append(out, ok("view.engine", "the master logs in with your own ssh (the openssh engine)"+engineWhy(cfg)))
	}
	for _, w := range cfg.Warnings {
		out = append(out, warn("view.keyword", "the master does not apply upstream: "+w, "see docs/config.md for the keyword; the ssh that starts the master prints the same line"))
	}
	return out
}

// engineWhy says what made auto choose the OpenSSH engine, if it did.
func engineWhy(cfg upstream.HostConfig) string {
	if cfg.EngineAsked != upstream.EngineAuto || len(cfg.NeedsOpenSSH) == 0 {
		return ""
	}
	return ", for " + strings.Join(cfg.NeedsOpenSSH, "; ")
}

// viewRoute describes the upstream login: who, where, and through what.
func viewRoute(t upstream.Target, cfg upstream.HostConfig) string {
	s := fmt.Sprintf("%s@%s port %d", cfg.User, cfg.HostName, cfg.Port)
	switch {
	case len(cfg.ProxyJump) > 0:
		s += ", through ProxyJump " + upstream.JoinVia(cfg.ProxyJump)
	case cfg.ProxyCommand != "" && !strings.EqualFold(cfg.ProxyCommand, "none"):
		s += ", through ProxyCommand " + cfg.ProxyCommand
	default:
		s += ", direct"
	}
	if t.Alias != "" && t.Alias != cfg.HostName {
		s += " (alias " + t.Alias + ")"
	}
	return s
}
