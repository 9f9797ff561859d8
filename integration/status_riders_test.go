package integration

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
	"github.com/sshshare/sshshare/share/control"
)

// riderWait bounds the waits for status and the log to show a client.
const riderWait = 10 * time.Second

// TestStatusRiders: a cold ssh rides the master through the ProxyCommand
// door, a warm one through the mux door; status lists both ssh pids with
// their commands, and `sshshare logs` shows lines with the target and each
// client's pid, follows a new client's lines with -f, ends on ^C, and
// still shows the log once the master has exited.
func TestStatusRiders(t *testing.T) {
	e := newMuxEnv(t, harness.SSHDOptions{})
	cold := harness.Start(t, e.c.SSH(shareHost, "echo started; exec sleep 30"))
	if !shareWaitFor(riderWait, func() bool { return cold.Stdout() != "" || cold.Exited() }) {
		t.Fatalf("the cold ssh printed nothing in %v", riderWait)
	}
	e.waitPublished(t)
	warm := harness.Start(t, e.c.SSH(shareHost, "echo started; exec sleep 31"))
	var st control.Status
	if !shareWaitFor(riderWait, func() bool { st = riderStatus(t, e); return len(st.Riders) == 2 }) {
		t.Fatalf("status riders: %+v; want 2 in %v", st.Riders, riderWait)
	}
	want := []control.Rider{
		{Pid: cold.Pid(), Door: control.DoorProxyCommand, Command: "ssh -F " + e.c.ConfigPath + " h 'echo started; exec sleep 30'"},
		{Pid: warm.Pid(), Door: control.DoorMux, Command: "ssh -F " + e.c.ConfigPath + " h 'echo started; exec sleep 31'"},
	}
	for i, r := range st.Riders {
		if r.Pid != want[i].Pid || r.Door != want[i].Door || r.Command != want[i].Command {
			t.Errorf("rider %d: got pid %d door %s command %q; want pid %d door %s command %q",
				i, r.Pid, r.Door, r.Command, want[i].Pid, want[i].Door, want[i].Command)
		}
	}
	table := harness.Run(t, sshTimeout, e.c.Command(e.bin, "status"))
	if !strings.Contains(string(table.Stdout), ": rider: pid "+strconv.Itoa(warm.Pid())+" mux door") {
		t.Errorf("status table:\n%s\nwant a rider line for pid %d", table.Stdout, warm.Pid())
	}

	// The mux door writes its rider's connect line a second into the ride.
	wants := []string{"target=" + st.Target, "client_pid=" + strconv.Itoa(cold.Pid()), "client_pid=" + strconv.Itoa(warm.Pid())}
	var logs harness.Result
	shareWaitFor(riderWait, func() bool {
		logs = harness.Run(t, sshTimeout, e.c.Command(e.bin, "logs", shareHost))
		return logs.Code == 0 && strings.Contains(string(logs.Stdout), wants[2])
	})
	for _, want := range wants {
		if logs.Code != 0 || !strings.Contains(string(logs.Stdout), want) {
			t.Errorf("sshshare logs %s: %s; want exit 0 and a line with %q", shareHost, logs, want)
		}
	}

	follow := harness.Start(t, e.c.Command(e.bin, "logs", "-f", "-n", "1"))
	e.mustSSH(t, "true")
	if !shareWaitFor(riderWait, func() bool { return strings.Contains(follow.Stdout(), `msg="client leave"`) }) {
		t.Fatalf("sshshare logs -f: %q in %v; want the new client's lines", follow.Stdout(), riderWait)
	}
	if !strings.Contains(follow.Stdout(), "target="+st.Target) {
		t.Errorf("sshshare logs -f: %q; want lines with the target", follow.Stdout())
	}
	follow.Cmd.Process.Signal(os.Interrupt)
	if code := follow.Wait(t, riderWait); code != 0 {
		t.Errorf("sshshare logs -f after ^C: exit %d; want 0\nstderr:\n%s", code, follow.Stderr())
	}

	e.c.StopMasters(e.bin) // before the sessions end: killing the cold ssh's tree could reach the master
	cold.Wait(t, riderWait)
	warm.Wait(t, riderWait)
	logs = harness.Run(t, sshTimeout, e.c.Command(e.bin, "logs", "-n", "3"))
	if logs.Code != 0 || !strings.Contains(string(logs.Stdout), `msg="master exit"`) {
		t.Errorf("sshshare logs of the exited master: %s; want exit 0 and its last lines", logs)
	}
}

// riderStatus is the status of e's only master.
func riderStatus(t *testing.T, e *muxEnv) control.Status {
	t.Helper()
	res := harness.Run(t, sshTimeout, e.c.Command(e.bin, "status", "--json"))
	var st []control.Status
	if err := json.Unmarshal(res.Stdout, &st); err != nil || len(st) != 1 {
		t.Fatalf("sshshare status --json: %s; want one master", res)
	}
	return st[0]
}
