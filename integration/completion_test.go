package integration

import (
	"slices"
	"strings"
	"testing"
)

// TestCompleteHostsListsMasters: the host names the shell completions
// offer include a running master's host and the alias it was reached by.
func TestCompleteHostsListsMasters(t *testing.T) {
	l := newLifecycle(t, 0)
	l.mustSSH(t, "true")
	m := l.master(t)
	res := l.sshshare(t, "__complete-hosts")
	hosts := strings.Fields(string(res.Stdout))
	if res.Code != 0 || !slices.Contains(hosts, l.sshd.Host) || !slices.Contains(hosts, lifecycleHost) {
		t.Errorf("sshshare __complete-hosts with master %s: %s; want %s and %s among the hosts", m.Target, res, l.sshd.Host, lifecycleHost)
	}
}
