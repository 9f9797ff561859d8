package harness

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

func dial(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// roundTrip writes msg and reads it back, returning how long it took.
func roundTrip(t *testing.T, c net.Conn, msg string) time.Duration {
	t.Helper()
	start := time.Now()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatalf("write: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("read echo: %v", err)
	}
	if string(got) != msg {
		t.Fatalf("echo = %q; want %q", got, msg)
	}
	return time.Since(start)
}

func TestRelayEcho(t *testing.T) {
	for _, tc := range []struct {
		name  string
		delay time.Duration
	}{
		{"direct", 0},
		{"delayed", 20 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRelay(t, EchoServer(t), tc.delay)
			c := dial(t, r.Addr())
			rtt := roundTrip(t, c, "hello")
			if floor := 2 * tc.delay; rtt < floor {
				t.Errorf("round trip took %v; want >= %v", rtt, floor)
			}
			// Half-close: the echo server sees EOF and closes its side.
			roundTrip(t, c, "more")
			if err := c.CloseWrite(); err != nil {
				t.Fatal(err)
			}
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if rest, err := io.ReadAll(c); err != nil || len(rest) != 0 {
				t.Errorf("after CloseWrite: read %q, %v; want EOF", rest, err)
			}
			if got := r.Conns(); got != 1 {
				t.Errorf("Conns() = %d; want 1", got)
			}
		})
	}
}

func TestRelayPipelines(t *testing.T) {
	// Unpipelined, 4 MiB in 32 KiB chunks would take 128 one-way delays.
	const delay = 25 * time.Millisecond
	r := NewRelay(t, EchoServer(t), delay)
	c := dial(t, r.Addr())
	msg := bytes.Repeat([]byte("0123456789abcdef"), 256<<10)
	start := time.Now()
	go func() {
		c.Write(msg)
		c.CloseWrite()
	}()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	got, err := io.ReadAll(c)
	elapsed := time.Since(start)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("echoed %d bytes, %v; want %d bytes", len(got), err, len(msg))
	}
	if limit := 100 * delay; elapsed > limit {
		t.Errorf("4 MiB took %v; want < %v (is the delay pipelined?)", elapsed, limit)
	}
	t.Logf("4 MiB echoed through %v one-way delay in %v", delay, elapsed)
}

func TestRelayBlackHole(t *testing.T) {
	r := NewRelay(t, EchoServer(t), 0)
	old := dial(t, r.Addr())
	roundTrip(t, old, "before")
	r.BlackHole()
	if _, err := old.Write([]byte("lost")); err != nil {
		t.Fatalf("write after BlackHole: %v", err)
	}
	old.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	n, err := old.Read(make([]byte, 16))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read after BlackHole = %d, %v; want a timeout (no data, no EOF)", n, err)
	}
	roundTrip(t, dial(t, r.Addr()), "fresh")
	if got := r.Conns(); got != 2 {
		t.Errorf("Conns() = %d; want 2", got)
	}
}
