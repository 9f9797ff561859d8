package upstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/sshtest"
)

// TestStartCommand: a ProxyCommand's stdio is the connection, its stderr
// is copied as it comes, and Close ends and reaps it (SIGHUP, as ssh).
func TestStartCommand(t *testing.T) {
	sshtest.SkipOnWindows(t, "the ProxyCommand here is a /bin/sh command line (proxycommand_windows_test.go has the Windows form)")
	var stderr sshtest.Buffer
	conn, err := startCommand("/bin/sh", `sh -c 'echo hello from stderr >&2; exec cat'`, slog.New(slog.DiscardHandler), &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 5)
	if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "ping\n" {
		t.Fatalf("read %q, %v; want ping", buf, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(stderr.String(), "hello from stderr\n") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := stderr.String(); got != "hello from stderr\n" {
		t.Errorf("stderr %q; want the command's line", got)
	}
	conn.Close()
	select {
	case <-conn.(*commandConn).exited:
	case <-time.After(commandExitWait + 2*time.Second):
		t.Fatal("command not reaped after Close")
	}
}

// TestStartCommandExitStatus: a command that ends says why. On Windows
// the line goes to the program with no shell, as Win32-OpenSSH runs it.
func TestStartCommandExitStatus(t *testing.T) {
	shell, line := "", "sh -c 'exit 3'"
	if runtime.GOOS == "windows" {
		shell, line = `C:\no\shell`, "exec cmd /c exit 3"
	}
	conn, err := startCommand(shell, line, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = conn.Read(make([]byte, 1))
	if err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("read: %v; want the exit status", err)
	}
}

// TestStderrLinesBounded: a ProxyCommand redrawing a progress line with
// '\r' for ever holds at most maxStderrLine bytes of it; the line is
// logged once, cut (the rest of it dropped), and the next line as it is.
func TestStderrLinesBounded(t *testing.T) {
	var logged bytes.Buffer
	lines := stderrLines{command: "progress", log: slog.New(slog.NewJSONHandler(&logged, nil))}
	chunk := []byte(strings.Repeat("\r 42% [=====>     ] 1.2 MB/s", 100))
	for range 1000 {
		lines.add(chunk)
		if len(lines.pending) > maxStderrLine || cap(lines.pending) > 2*maxStderrLine {
			t.Fatalf("holding %d bytes (capacity %d); want at most %d", len(lines.pending), cap(lines.pending), maxStderrLine)
		}
	}
	lines.add([]byte("\rdone\nnext line\n"))
	var got []string
	dec := json.NewDecoder(&logged)
	for {
		var rec struct {
			Line      string
			Truncated bool
		}
		if err := dec.Decode(&rec); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d %v", len(rec.Line), rec.Truncated))
	}
	if want := []string{fmt.Sprintf("%d true", maxStderrLine), "9 false"}; !slices.Equal(got, want) {
		t.Errorf("logged (length, truncated) %q; want %q", got, want)
	}
}

// TestEndCommands: a command that ignores SIGHUP and its stdin's end is
// killed and reaped before EndCommands returns.
func TestEndCommands(t *testing.T) {
	sshtest.SkipOnWindows(t, "the ProxyCommand here is a /bin/sh command line (proxycommand_windows_test.go has the Windows form)")
	conn, err := startCommand("", `sh -c 'trap "" HUP; echo ready; exec sleep 60'`, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := conn.(*commandConn)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(conn, make([]byte, 6)); err != nil {
		t.Fatalf("waiting for the command to ignore SIGHUP: %v", err)
	}
	start := time.Now()
	if left := EndCommands(); len(left) > 0 {
		t.Fatalf("not reaped: %q", left)
	}
	select {
	case <-c.exited:
	default:
		t.Fatal("EndCommands returned before the command was reaped")
	}
	t.Logf("killed and reaped after %v", time.Since(start).Round(time.Millisecond))
	if left := running.list(); len(left) > 0 {
		t.Errorf("still listed as running: %d", len(left))
	}
}
