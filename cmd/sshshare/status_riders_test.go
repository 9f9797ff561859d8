package main

import (
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/control"
)

// TestStatusTableRiders: each rider, forward and the last heal get a line
// under the table, the command escaped (a remote command may hold any
// byte).
func TestStatusTableRiders(t *testing.T) {
	var b strings.Builder
	now := time.Now()
	s := &control.Status{Target: "root@10.0.0.5:22", Mode: "share",
		Riders: []control.Rider{
			{Pid: 41, Command: "ssh -t web1", Door: control.DoorProxyCommand, Since: now},
			{Pid: 42, Command: "ssh web1 'echo " + hostile + "'", Door: control.DoorMux, Since: now},
		},
		ForwardsDetail: []control.Forward{
			{Spec: "-R 127.0.0.1:7000", Owner: control.OwnerClient, OwnerPid: 41},
			{Spec: "-L 8080:db:5432", Owner: control.OwnerMaster},
		},
		LastHeal: now,
	}
	if err := printStatusTable(&b, []*control.Status{s}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	mustBeEscaped(t, "status riders", out)
	for _, want := range []string{
		"root@10.0.0.5:22: rider: pid 41 proxycommand door, for 0s: ssh -t web1\n",
		"root@10.0.0.5:22: rider: pid 42 mux door, for 0s: ssh web1 'echo ",
		"root@10.0.0.5:22: forward: -R 127.0.0.1:7000 (client pid 41)\n",
		"root@10.0.0.5:22: forward: -L 8080:db:5432 (master)\n",
		"root@10.0.0.5:22: last heal: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status table: got\n%s\nwant a line with %q", out, want)
		}
	}
	if strings.Contains(s.Riders[1].Command, `\033`) {
		t.Error("printStatusTable changed the status it was given")
	}
}
