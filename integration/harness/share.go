package harness

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"time"
)

// AddShareHost adds a Host block for alias whose connections go through
// the sshshare binary bin (see Binary): ProxyCommand and
// GlobalKnownHostsFile as the README sets them up, with -F this client's
// config, the sockets under the client's HOME and its local known_hosts
// file (LocalKnownHosts) by full path: ssh's ~ is the home directory of the
// password database, not HOME. Extra lines override defaults as in
// AddHost. A cleanup stops every master of this client and fails the test
// if one survives.
func (c *Client) AddShareHost(alias, bin string, lines ...string) {
	c.tb.Helper()
	// ssh takes the first value of a keyword: lines go first to override.
	c.AddHost(alias, append(lines, c.shareLines(bin)...)...)
	c.shareOnce.Do(func() { c.tb.Cleanup(func() { c.StopMasters(bin) }) })
}

// AddShareRoute is AddShareHost with sshshare's lines first and then
// route, as docs/setup.md writes a route (ProxyJump, or an upstream
// ProxyCommand) in the same block: ssh runs sshshare, and the master's
// view of the config has the route.
func (c *Client) AddShareRoute(alias, bin string, route ...string) {
	c.tb.Helper()
	c.AddHost(alias, append(c.shareLines(bin), route...)...)
	c.shareOnce.Do(func() { c.tb.Cleanup(func() { c.StopMasters(bin) }) })
}

// shareLines are the ProxyCommand and GlobalKnownHostsFile lines of a
// share-mode Host block (see AddShareHost).
func (c *Client) shareLines(bin string) []string {
	// %% keeps the template's tokens for sshshare, which expands them for
	// each master it starts: a ProxyJump host's socket must differ.
	template := strings.ReplaceAll(c.ShareControlPath(), "%", "%%")
	proxy := bin + " -F " + c.ConfigPath + " --alias %n --control-path " + template + " %r %h %p"
	return []string{
		"ProxyCommand " + proxy,
		"GlobalKnownHostsFile /etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2 " + c.LocalKnownHosts(),
	}
}

// AppendConfig appends lines to the client's ssh config as they are: a
// later Host block, say.
func (c *Client) AppendConfig(lines ...string) {
	c.tb.Helper()
	appendFile(c.tb, c.ConfigPath, strings.Join(lines, "\n")+"\n")
}

// LocalKnownHosts is the known_hosts file with the local host keys that
// this client's masters keep.
func (c *Client) LocalKnownHosts() string {
	return filepath.Join(c.Home, ".ssh", "sshshare", "known_hosts")
}

// MasterStatus is the part of `sshshare status --json` tests look at.
type MasterStatus struct {
	Target    string `json:"target"`
	Alias     string `json:"alias"`
	Mode      string `json:"mode"`
	Pid       int    `json:"pid"`
	Protocol  int    `json:"protocol"`
	Socket    string `json:"socket"`
	Clients   int    `json:"clients"`
	Channels  int    `json:"channels"`
	Upstreams int    `json:"upstreams"`
	Forwards  int    `json:"forwards"`
	Healthy   bool   `json:"healthy"`
	Healed    int    `json:"healed"`
	Log       string `json:"log"`
	// Identity is the key the upstream login was accepted with ("ED25519
	// SHA256:..."); SSHOptions the invoking ssh's options in the master's
	// view, and SSHOptionsUnread why they could not be read.
	Identity         string   `json:"identity"`
	SSHOptions       []string `json:"ssh_options"`
	SSHOptionsUnread string   `json:"ssh_options_unread"`
	// Engine is "go" or "openssh"; EnginePIDs the openssh engine's ssh
	// processes.
	Engine     string `json:"engine"`
	EnginePIDs []int  `json:"engine_pids"`
}

// Masters returns what `sshshare status --json` reports for this client.
func (c *Client) Masters(bin string) []MasterStatus {
	c.tb.Helper()
	return statusAs[MasterStatus](c, bin)
}

// statusAs runs `sshshare status --json` for c and decodes it into Ts.
func statusAs[T any](c *Client, bin string) []T {
	c.tb.Helper()
	res := Run(c.tb, 20*time.Second, c.Command(bin, "status", "--json"))
	var out []T
	if res.Code != 0 || json.Unmarshal(res.Stdout, &out) != nil {
		c.tb.Fatalf("sshshare status --json: %s", res)
	}
	return out
}

// StopMasters stops every master of this client and makes sure each one's
// process is gone, killing it if stop did not end it within 3 s.
func (c *Client) StopMasters(bin string) {
	c.tb.Helper()
	masters := c.Masters(bin)
	Run(c.tb, 20*time.Second, c.Command(bin, "stop", "--all"))
	for _, m := range masters {
		if !waitPidGone(m.Pid, 3*time.Second) {
			killPid(m.Pid)
			c.tb.Fatalf("master %s (pid %d) still running 3s after sshshare stop", m.Target, m.Pid)
		}
		for _, pid := range m.EnginePIDs {
			if !waitPidGone(pid, 3*time.Second) {
				killPid(pid)
				c.tb.Fatalf("engine ssh of master %s (pid %d) still running 3s after sshshare stop", m.Target, pid)
			}
		}
	}
}

// waitPidGone polls until pid no longer runs (a zombie counts as gone).
func waitPidGone(pid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if len(alivePids([]int{pid})) == 0 {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}
