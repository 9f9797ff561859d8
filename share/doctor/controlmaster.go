package doctor

import (
	"fmt"
	"strings"

	"github.com/sshshare/sshshare/tokens"
)

// ssh's own connection sharing (ControlMaster, ControlPath, ControlPersist)
// and sshshare's mux door share keywords. ControlPath names the socket
// ssh tries first as a mux client; ControlMaster other than no makes ssh
// a master itself there. In front of sshshare that stacks a second
// sharing layer: the first ssh becomes an OpenSSH master over its
// sshshare connection, and later ssh ride it, not sshshare.

// sunPathLen is the size of a Unix socket address's path on this OS,
// the NUL included: ssh refuses a ControlPath that does not fit.
func sunPathLen() int { return tokens.MaxSocketPath() + 1 + len(tokens.PublishSuffix) }

// controlPath is c's ControlPath, "" when ssh uses none.
func controlPath(c Config) string {
	p := c.Get("controlpath")
	if strings.EqualFold(p, "none") {
		return ""
	}
	return p
}

// mastering reports whether ControlMaster makes ssh a master (yes, auto,
// ask, autoask).
func mastering(c Config) bool {
	switch strings.ToLower(c.Get("controlmaster")) {
	case "", "no", "false":
		return false
	}
	return true
}

// sharingLayer describes ssh's own sharing in c, for messages.
func sharingLayer(c Config) string {
	s := "ControlMaster " + c.Get("controlmaster") + " with ControlPath " + controlPath(c)
	if p := c.Get("controlpersist"); p != "" && !strings.EqualFold(p, "no") {
		s += " and ControlPersist " + p
	}
	return s
}

// everyHost says where a keyword's value comes from, when everywhere (the
// config of a host no block names) has the same value.
func everyHost(everywhere Config, key, value string) string {
	if strings.EqualFold(everywhere.Get(key), value) {
		return " (it applies to every host: a `Host *` block or a line before any Host)"
	}
	return ""
}

// controlMasterFix is the fix for ssh's sharing in sshshare's block.
const controlMasterFix = "put `ControlMaster no` in sshshare's Host block, before any `Host *` that sets ControlMaster (ssh takes the first value it reads), " +
	"with `ControlPath ~/.ssh/sshshare/%r@%n-%p.mux` for the mux door (docs/doors.md)"

// checkControl looks at the host's ControlMaster and ControlPath against
// sshshare's mux socket.
func (h *Host) checkControl(everywhere Config) []Finding {
	path := controlPath(h.Config)
	var out []Finding
	if path != "" && len(path) >= sunPathLen() {
		out = append(out, broken("control.length", fmt.Sprintf("ControlPath %s is %d bytes, more than a Unix socket address holds (%d): ssh stops with `ControlPath too long` before it runs sshshare", path, len(path), sunPathLen()-1),
			"use the connection hash: `ControlPath ~/.ssh/sshshare/%C.mux` and `--mux-path '~/.ssh/sshshare/%%C.mux'` on sshshare's line (docs/doors.md)"))
	}
	return append(out, h.checkMaster(path, everywhere))
}

// checkMaster looks at the host's ControlMaster and ControlPath against
// sshshare's mux socket.
func (h *Host) checkMaster(path string, everywhere Config) Finding {
	mux, muxErr := h.muxSocket()
	switch {
	case path != "" && mastering(h.Config) && path == mux:
		return broken("control.master", sharingLayer(h.Config)+everyHost(everywhere, "controlmaster", h.Config.Get("controlmaster"))+
			": ssh would be a rival master on sshshare's mux socket, and the master refuses to start", controlMasterFix)
	case path != "" && mastering(h.Config):
		return broken("control.master", sharingLayer(h.Config)+everyHost(everywhere, "controlmaster", h.Config.Get("controlmaster"))+
			": ssh's own connection sharing sits in front of sshshare, a second sharing layer; later ssh ride the first ssh, not sshshare's master, whatever their options",
			controlMasterFix)
	case path != "" && path == mux:
		return ok("control.mux", "the mux door: ssh tries "+mux+" first, with ControlMaster no")
	case path != "" && mux != "":
		return warn("control.mux", "ControlPath "+path+" is not the master's mux socket ("+mux+"): ssh never reaches the mux door",
			"write `ControlPath` as the mux socket's template (by default `ControlPath ~/.ssh/sshshare/%r@%n-%p.mux`) (docs/doors.md)")
	case path != "" && muxErr != nil:
		return warn("control.mux", "ControlPath "+path+", but the master serves no mux door for "+h.Name+": "+muxErr.Error(),
			"use `ControlPath ~/.ssh/sshshare/%C.mux` and `--mux-path '~/.ssh/sshshare/%%C.mux'` on sshshare's line, or drop the ControlPath line (docs/doors.md)")
	case path != "":
		return warn("control.mux", "ControlPath "+path+", but sshshare's line serves no mux door (--mux-path none)",
			"drop the ControlPath line, or the --mux-path none (docs/doors.md)")
	}
	return ok("control.mux", "no ControlPath: ssh reaches the master through the ProxyCommand; `ControlPath ~/.ssh/sshshare/%r@%n-%p.mux` and `ControlMaster no` add the faster mux door (docs/doors.md)")
}

// CheckEverywhere looks at the ssh sharing the config gives every host,
// when no host is named: it stacks in front of sshshare for every
// sshshare host whose block does not say `ControlMaster no` first.
func CheckEverywhere(everywhere Config) []Finding {
	if controlPath(everywhere) == "" || !mastering(everywhere) {
		return []Finding{ok("control.master", "no ssh ControlMaster for every host")}
	}
	return []Finding{warn("control.master", sharingLayer(everywhere)+" applies to every host: for an sshshare host whose Host block does not say `ControlMaster no` first, it stacks ssh's own sharing in front of sshshare",
		controlMasterFix+"; `sshshare doctor HOST` checks one host")}
}
