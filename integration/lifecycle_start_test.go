package integration

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// statusKeys are the keys issue 5 requires of every `status --json` object.
var statusKeys = []string{
	"target", "mode", "via", "pid", "socket", "started", "clients", "channels",
	"bytes_in", "bytes_out", "idle_seconds", "persist_seconds", "healthy", "log",
}

// TestLifecycleStartThenSSH: `sshshare start` logs in once and returns
// when the master is ready, printing its socket; status lists that master
// with a live pid; the next ssh rides on it without a second login.
func TestLifecycleStartThenSSH(t *testing.T) {
	l := newLifecycle(t, 0)

	res := l.start(t, "--persist", "45s")
	if res.Code != 0 {
		t.Fatalf("sshshare start %s: %s; want exit 0\nlogs:\n%s", lifecycleHost, res, l.logs())
	}
	socket := strings.TrimSpace(string(res.Stdout))
	if info, err := os.Stat(socket); err != nil || info.Mode().Type() != os.ModeSocket {
		t.Fatalf("start printed %q: stat %v, %v; want the path of a socket", socket, info, err)
	}
	if got := l.sshd.Logins(); got != 1 {
		t.Errorf("sshd logins after start = %d; want 1", got)
	}
	t.Logf("sshshare start: %v", res.Elapsed.Round(time.Millisecond))

	m := l.master(t)
	if want := l.target(l.sshd.Port); m.Target != want {
		t.Errorf("status target = %q; want %q", m.Target, want)
	}
	if m.Socket != socket {
		t.Errorf("status socket = %q; want %q (what start printed)", m.Socket, socket)
	}
	if !harness.PidAlive(m.Pid) {
		t.Errorf("status pid %d: no such running process; want the live master", m.Pid)
	}
	if !m.Healthy {
		t.Errorf("status healthy = false right after start; want true")
	}
	if m.Mode != "share" {
		t.Errorf("status mode = %q; want %q", m.Mode, "share")
	}
	if _, err := os.Stat(m.Log); err != nil {
		t.Errorf("status log %q: %v; want the master's log file", m.Log, err)
	}
	checkStatusJSON(t, l, 45)

	res = l.mustSSH(t, "echo", "hi")
	if string(res.Stdout) != "hi\n" {
		t.Errorf("ssh %s echo hi: stdout %q; want %q", lifecycleHost, res.Stdout, "hi\n")
	}
	if got := l.sshd.Logins(); got != 1 {
		t.Errorf("sshd logins after start and ssh = %d; want 1 (no second login)", got)
	}
	if got := l.master(t).Pid; got != m.Pid {
		t.Errorf("master pid after ssh = %d; want %d (the one start made)", got, m.Pid)
	}

	// A second start finds the running master: same socket, no login.
	res = l.start(t)
	if res.Code != 0 || strings.TrimSpace(string(res.Stdout)) != socket {
		t.Errorf("second sshshare start: %s; want exit 0, stdout %q", res, socket)
	}
	if got := l.sshd.Logins(); got != 1 {
		t.Errorf("sshd logins after a second start = %d; want 1", got)
	}
}

// checkStatusJSON checks that `status --json` is an array of one object
// with every key the issue requires, and the persist that start was given.
func checkStatusJSON(t *testing.T, l *lifecycle, persistSeconds float64) {
	t.Helper()
	res := l.sshshare(t, "status", "--json")
	var objs []map[string]any
	if res.Code != 0 || json.Unmarshal(res.Stdout, &objs) != nil || len(objs) != 1 {
		t.Fatalf("sshshare status --json: %s; want exit 0 and an array of one object", res)
	}
	for _, k := range statusKeys {
		if _, ok := objs[0][k]; !ok {
			t.Errorf("status --json: no key %q in %v", k, objs[0])
		}
	}
	if got, _ := objs[0]["persist_seconds"].(float64); got != persistSeconds {
		t.Errorf("status persist_seconds = %v; want %v (start --persist)", objs[0]["persist_seconds"], persistSeconds)
	}
}
