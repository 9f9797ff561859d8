package harness

import (
	"path/filepath"
	"time"
)

// PidAlive reports whether pid names a running process, as kill -0 would,
// except that a zombie counts as gone: a master killed under an init that
// does not reap stays a zombie, but it no longer holds its socket.
func PidAlive(pid int) bool { return len(alivePids([]int{pid})) == 1 }

// WaitPidGone polls until pid no longer runs (see PidAlive) or timeout
// passes, and reports whether it is gone.
func WaitPidGone(pid int, timeout time.Duration) bool { return waitPidGone(pid, timeout) }

// ShareDir is the directory under the client's HOME that holds the
// sockets (and their logs) of the hosts AddShareHost adds.
func (c *Client) ShareDir() string { return filepath.Join(c.Home, ".ssh", "sshshare") }

// ShareControlPath is the socket path template AddShareHost gives the
// proxy, for commands such as `sshshare start --control-path`.
func (c *Client) ShareControlPath() string { return filepath.Join(c.ShareDir(), "%r@%h-%p") }

// MasterPids lists the running sshshare master processes whose command
// line names a path under this client's HOME, found in /proc whatever
// `sshshare status` says, so a test can catch a master nobody lists. It
// returns nil where there is no /proc.
func (c *Client) MasterPids() []int { return masterPids(c.Home + string(filepath.Separator)) }
