package share

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/sshtest"
)

// TestRideLogLines: a ride shorter than joinLogDelay has its connect line
// (stamped with the time it joined) written just before its leave line; a
// longer one has it written while it rides; and a rider never logged as
// joined leaves no line.
func TestRideLogLines(t *testing.T) {
	var buf sshtest.Buffer
	m := &Master{log: slog.New(slog.NewTextHandler(&buf, nil))}

	joined := time.Date(2026, 12, 8, 1, 2, 3, 0, time.UTC)
	short := &rider{pid: 41, door: "mux", since: joined}
	m.logJoinedSoon(short)
	if s := buf.String(); s != "" {
		t.Fatalf("log as the ride starts: %q; want nothing yet", s)
	}
	m.clientLeft(short)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `msg="client connect"`) || !strings.Contains(lines[0], "time=2026-12-08T01:02:03.000Z") ||
		!strings.Contains(lines[0], "client_pid=41") || !strings.Contains(lines[1], `msg="client leave"`) {
		t.Errorf("short ride's lines:\n%s\nwant its connect line, with the time it joined, then its leave line", buf.String())
	}

	buf.Reset()
	long := &rider{pid: 42, door: "mux", since: time.Now()}
	m.logJoinedSoon(long)
	deadline := time.Now().Add(joinLogDelay + 5*time.Second)
	for !strings.Contains(buf.String(), "client_pid=42") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(buf.String(), `msg="client connect"`) {
		t.Fatalf("log of a ride past joinLogDelay: %q; want its connect line", buf.String())
	}
	m.clientLeft(long)
	if n := strings.Count(buf.String(), `msg="client connect"`); n != 1 || !strings.Contains(buf.String(), `msg="client leave"`) {
		t.Errorf("long ride's lines:\n%s\nwant one connect line and a leave line", buf.String())
	}

	buf.Reset()
	m.clientLeft(&rider{pid: 43, door: "mux", since: time.Now()})
	if s := buf.String(); s != "" {
		t.Errorf("log of a rider sent back before its session: %q; want nothing", s)
	}
}
