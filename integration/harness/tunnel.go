package harness

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// AddSSHD lets the client log in to another sshd besides its own: it
// authorizes the client's key there and trusts that sshd's host key at its
// address. Call it before AddHost or AddTunnelHost names that address, so
// known_hosts holds that sshd's key and not the client's own sshd's.
func (c *Client) AddSSHD(s *SSHD) {
	c.tb.Helper()
	pub, err := os.ReadFile(c.KeyPath + ".pub")
	if err != nil {
		c.tb.Fatalf("read client public key: %v", err)
	}
	appendFile(c.tb, s.AuthorizedKeysPath, string(pub))
	name := "[" + s.Host + "]:" + strconv.Itoa(s.Port)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.trusted[name] {
		c.tb.Fatalf("AddSSHD %s: known_hosts already trusts another key for %s", s.Addr(), name)
	}
	c.trusted[name] = true
	appendFile(c.tb, c.KnownHosts, name+" "+s.HostKeyPub+"\n")
}

// AddTunnelHost adds a Host block for alias whose connections go through
// the sshshare binary bin in tunnel mode: ProxyCommand with --via via (a
// comma-separated chain of [user@]host[:port] jump hosts, usually aliases
// of plain AddHost blocks), -F this client's config and the sockets under
// the client's HOME. No KnownHostsCommand: ssh checks the target's own host
// key end to end. Extra lines override defaults as in AddHost, so
// "Port N" with AddSSHD reaches a second sshd. A cleanup stops every master
// of this client and fails the test if one survives.
func (c *Client) AddTunnelHost(alias, bin, via string, lines ...string) {
	c.tb.Helper()
	// ssh expands %-tokens anywhere in ProxyCommand; %% keeps the socket
	// template's tokens for sshshare, which expands them for the jump host.
	template := strings.ReplaceAll(c.ShareControlPath(), "%", "%%")
	proxy := "ProxyCommand " + bin + " -F " + c.ConfigPath + " --control-path " +
		template + " --via " + via + " %r %h %p"
	c.AddHost(alias, append([]string{proxy}, lines...)...)
	c.shareOnce.Do(func() { c.tb.Cleanup(func() { c.StopMasters(bin) }) })
}

// TunnelStatus is what `sshshare status --json` reports of one master,
// with the tunnel-mode fields.
type TunnelStatus struct {
	MasterStatus
	Via           string   `json:"via"`
	Tunnels       int      `json:"tunnels"`
	TunnelTargets []string `json:"tunnel_targets"`
	// SilentSeconds is how long the master has heard nothing from its
	// upstream.
	SilentSeconds float64 `json:"upstream_silent_seconds"`
	// Healed counts the times the master replaced a dead upstream with a
	// fresh login.
	Healed int `json:"healed"`
}

// TunnelMasters returns what `sshshare status --json` reports for this
// client, tunnel fields included.
func (c *Client) TunnelMasters(bin string) []TunnelStatus {
	c.tb.Helper()
	return statusAs[TunnelStatus](c, bin)
}

// MasterLogs returns the logs of every master the client ran (they stay
// beside the sockets, SOCKET.log, after the masters exit), for failure
// messages.
func (c *Client) MasterLogs() string {
	paths, _ := filepath.Glob(filepath.Join(c.ShareDir(), "*.log"))
	var out string
	for _, p := range paths {
		b, _ := os.ReadFile(p)
		out += "== " + p + "\n" + string(b)
	}
	return out
}
