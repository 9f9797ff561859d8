package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/hint"
)

// TestLogTarget: an exited master's log names its target on every line
// and its alias on the login's; a log that names none is named after its
// socket.
func TestLogTarget(t *testing.T) {
	dir := t.TempDir()
	named := filepath.Join(dir, "me@web1-22.log")
	os.WriteFile(named, []byte(`time=2026-12-07T15:00:00Z level=INFO msg="agent for logins" pid=9 target=me@web1:22 socket=none
time=2026-12-07T15:00:01Z level=INFO msg="master ready" pid=9 target=me@web1:22 alias="web 1" identity=x
`), 0o600)
	bare := filepath.Join(dir, "me@db-22.log")
	os.WriteFile(bare+".old", []byte("time=x level=INFO msg=hi pid=9\n"), 0o600)
	for _, tc := range []struct{ path, target, alias string }{
		{named, "me@web1:22", "web 1"},
		{bare, "me@db-22", ""},
	} {
		if target, alias := logTarget(tc.path); target != tc.target || alias != tc.alias {
			t.Errorf("logTarget(%s) = %q, %q; want %q, %q", tc.path, target, alias, tc.target, tc.alias)
		}
	}
	if got := logFiles(dir); len(got) != 2 || got[0] != bare || got[1] != named {
		t.Errorf("logFiles: got %q; want [%s %s]", got, bare, named)
	}
}

// TestLogsChoose: HOST picks as stop does, a running master first; with
// no HOST the one running master, else the one log; several are listed
// in the hint.
func TestLogsChoose(t *testing.T) {
	dir := t.TempDir()
	oldLog, newLog := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	os.WriteFile(oldLog, nil, 0o600)
	os.WriteFile(newLog, nil, 0o600)
	os.Chtimes(oldLog, time.Now().Add(-time.Hour), time.Now().Add(-time.Hour))
	web := masterLog{target: "me@web1:22", alias: "w", path: "/run/web", pid: 7}
	webOld := masterLog{target: "me@web1:22", path: oldLog}
	webNew := masterLog{target: "me@web1:2222", path: newLog}
	db := masterLog{target: "me@db:22", path: "/run/db", pid: 8}
	for _, tc := range []struct {
		name   string
		target string
		logs   []masterLog
		want   string // the path, or the error's text
	}{
		{"alias", "w", []masterLog{db, web, webOld}, "/run/web"},
		{"host prefers running", "web1", []masterLog{webOld, web}, "/run/web"},
		{"host newest exited", "web1", []masterLog{webOld, webNew}, newLog},
		{"one running", "", []masterLog{db, webOld}, "/run/db"},
		{"one exited", "", []masterLog{webOld}, oldLog},
		{"several running", "", []masterLog{db, web}, "logs: 2 masters; name one"},
		{"several exited", "", []masterLog{webOld, webNew}, "logs: 2 masters; name one"},
		{"none for host", "nope", []masterLog{db}, "logs: no master log for nope"},
		{"none", "", nil, "logs: no master has written a log"},
	} {
		l, err := LogsCmd{Target: tc.target}.choose(tc.logs)
		got := l.path
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%s: got %q; want %q", tc.name, got, tc.want)
		}
	}
	_, err := LogsCmd{}.choose([]masterLog{db, web})
	if h := hint.Of(err); !strings.Contains(h, "me@db:22 pid 8") || !strings.Contains(h, "me@web1:22 (w) pid 7") {
		t.Errorf("hint: got %q; want both masters listed", h)
	}
}
