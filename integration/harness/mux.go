package harness

import (
	"path/filepath"

	"github.com/sshshare/sshshare/tokens"
)

// The mux door (issue 18): besides its ProxyCommand, a Host block may name
// the master's mux socket as ssh's ControlPath, with ControlMaster no; a
// warm ssh then talks OpenSSH's multiplexing protocol to the master
// in-process, and a cold one finds no socket and runs the ProxyCommand.

// MuxControlPath is the ssh ControlPath of this client's masters' mux
// sockets, as sshshare computes it by default: tokens.DefaultMuxName in
// the control path template's directory (ShareDir).
func (c *Client) MuxControlPath() string { return filepath.Join(c.ShareDir(), tokens.DefaultMuxName) }

// AddMuxHost is AddShareHost with the mux door: ControlPath naming the
// master's mux socket and ControlMaster no, so that ssh tries the master
// in-process before it runs the ProxyCommand. Lines go first, as in
// AddShareHost, to override.
func (c *Client) AddMuxHost(alias, bin string, lines ...string) {
	c.tb.Helper()
	lines = append(lines, "ControlPath "+c.MuxControlPath(), "ControlMaster no")
	c.AddShareHost(alias, bin, lines...)
}

// MuxStatus is the mux door's part of `sshshare status --json`.
type MuxStatus struct {
	Target string `json:"target"`
	Pid    int    `json:"pid"`
	// MuxSocket is the master's mux socket, "" when it serves none;
	// MuxSessions counts the sessions and stdio forwards it has served.
	MuxSocket   string `json:"mux_socket"`
	MuxSessions int    `json:"mux_sessions"`
}

// MuxMasters returns the mux door's part of `sshshare status --json`.
func (c *Client) MuxMasters(bin string) []MuxStatus {
	c.tb.Helper()
	return statusAs[MuxStatus](c, bin)
}
