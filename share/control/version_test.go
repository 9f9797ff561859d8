package control

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sshshare/sshshare/share/sysio"
)

func TestSkewOf(t *testing.T) {
	for _, tc := range []struct {
		name   string
		reply  Reply
		want   int
		skewed bool
	}{
		{"ok", Reply{OK: true, Version: 9}, 0, false},
		{"protocol 1 refusal", Reply{Error: "control protocol version 2, want 1"}, 1, ProtocolVersion != 1},
		{"versioned refusal", Reply{Version: ProtocolVersion + 1, Retry: true, Error: "x"}, ProtocolVersion + 1, true},
		{"same version refusal", Reply{Version: ProtocolVersion, Error: "no"}, ProtocolVersion, false},
		{"other error", Reply{Error: "bastion refused x:22"}, 0, false},
		{"garbled version text", Reply{Error: "control protocol version x"}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, skewed := skewOf(tc.reply)
			if skewed != tc.skewed || (skewed && got != tc.want) {
				t.Errorf("skewOf(%+v) = %d, %v; want %d, %v", tc.reply, got, skewed, tc.want, tc.skewed)
			}
		})
	}
}

// TestVersionErrorText: skewOf of a newer binary reads this text from
// this one, as this one reads it from masters of protocol 1.
func TestVersionErrorText(t *testing.T) {
	err := &VersionError{Got: 5, Want: 3}
	if got, skewed := skewOf(Reply{Error: err.Error()}); !skewed || got != 3 {
		t.Errorf("skewOf(%q) = %d, %v; want 3, true", err.Error(), got, skewed)
	}
}

func TestReadHelloVersions(t *testing.T) {
	other := ProtocolVersion + 1
	for _, tc := range []struct {
		hello   Hello
		skewErr bool
	}{
		{Hello{Version: other, Op: OpStatus}, false},
		{Hello{Version: other, Op: OpStop, Drain: true}, false},
		{Hello{Version: other, Op: OpShare}, true},
		{Hello{Version: other, Op: OpTunnel, Host: "h", Port: 22}, true},
		{Hello{Version: ProtocolVersion, Op: OpShare}, false},
	} {
		var b bytes.Buffer
		if err := WriteFrame(&b, tc.hello); err != nil {
			t.Fatal(err)
		}
		_, err := ReadHello(&b)
		var ve *VersionError
		if got := errors.As(err, &ve); got != tc.skewErr || (!tc.skewErr && err != nil) {
			t.Errorf("ReadHello(%+v): %v; want a VersionError: %v", tc.hello, err, tc.skewErr)
		}
	}
}

func TestWriteReplyStampsVersion(t *testing.T) {
	var b bytes.Buffer
	if err := WriteReply(&b, Reply{OK: true}); err != nil {
		t.Fatal(err)
	}
	var r Reply
	if err := ReadFrame(&b, &r); err != nil || r.Version != ProtocolVersion {
		t.Errorf("reply: %+v, %v; want version %d", r, err, ProtocolVersion)
	}
}

func TestRetire(t *testing.T) {
	dir := t.TempDir()
	socket, state := filepath.Join(dir, "m"), filepath.Join(dir, "state")
	ln, err := sysio.Listen(socket)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := Register(state, socket); err != nil {
		t.Fatal(err)
	}
	moved, err := Retire(state, socket)
	if err != nil {
		t.Fatalf("Retire: %v", err)
	}
	if _, err := os.Lstat(socket); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s after Retire: %v; want it free", socket, err)
	}
	if !isRetiredName(socket, moved) {
		t.Errorf("retired name %s: want %s.XXXXXXXX.old", moved, socket)
	}
	if got := sysio.ProbeSocket(moved); got != sysio.SocketLive {
		t.Fatalf("ProbeSocket of the retired socket: %v; want SocketLive", got)
	}
	sockets, _ := RegisteredSockets(state)
	if len(sockets) != 1 || sockets[0] != moved {
		t.Errorf("RegisteredSockets: %v; want [%s]", sockets, moved)
	}
}

// TestQuerySpeaksProtocol1: status and stop reach a master that answers
// only hellos of its own version 1, whatever this binary speaks.
func TestQuerySpeaksProtocol1(t *testing.T) {
	if ProtocolVersion == 1 {
		t.Skip("this build speaks protocol 1: nothing to fall back to (run with -tags sshshare_nextproto)")
	}
	dir := t.TempDir()
	socket := filepath.Join(dir, "m")
	ln, err := sysio.Listen(socket)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			var h Hello
			ReadFrame(conn, &h)
			if h.Version == 1 {
				WriteFrame(conn, Reply{OK: true, Status: &Status{Pid: 42}})
			} else {
				WriteFrame(conn, Reply{Error: (&VersionError{Got: h.Version, Want: 1}).Error()})
			}
			conn.Close()
		}
	}()
	reply, err := Query(dir, socket, Hello{Op: OpStatus})
	if err != nil || reply.Status == nil || reply.Status.Pid != 42 || reply.Status.Protocol != 1 {
		t.Errorf("Query: %+v, %v; want the status of pid 42, protocol 1", reply, err)
	}
}

// TestRegisterRemovesStaleRetired: a retired socket nobody answers on (its
// master of protocol 1 exited without removing it) is removed when the next
// master of that socket registers; one whose master still runs is kept, and
// so is the rotated log.
func TestRegisterRemovesStaleRetired(t *testing.T) {
	dir := t.TempDir()
	socket, state := filepath.Join(dir, "m"), filepath.Join(dir, "state")
	stale := socket + ".0000dead.old"
	ln, err := sysio.Listen(stale) // leaves the file when closed
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	live := socket + ".0000beef.old"
	liveLn, err := sysio.Listen(live)
	if err != nil {
		t.Fatal(err)
	}
	defer liveLn.Close()
	cur, err := sysio.Listen(socket)
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close()
	rotatedLog := socket + ".log.old"
	if err := os.WriteFile(rotatedLog, []byte("log\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	if _, err := Retire(state, socket); err != nil {
		t.Fatalf("Retire: %v", err)
	}
	if err := Register(state, socket); err != nil {
		t.Fatalf("Register: %v", err)
	}
	if _, err := os.Lstat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s after Register: %v; want it removed", stale, err)
	}
	if _, err := os.Lstat(live); err != nil {
		t.Errorf("%s after Register: %v; want it kept", live, err)
	}
	if _, err := os.Lstat(rotatedLog); err != nil {
		t.Errorf("%s (the rotated log) after Register: %v; want it kept", rotatedLog, err)
	}
}

func TestIsRetiredName(t *testing.T) {
	for _, tc := range []struct {
		p  string
		ok bool
	}{
		{"/s/m.0123abcd.old", true},
		{"/s/m.log.old", false},
		{"/s/m.0123abcg.old", false},
		{"/s/m.0123abcd.tmp", false},
		{"/s/m.prod.0123abcd.old", false},
		{"/s/n.0123abcd.old", false},
	} {
		if got := isRetiredName("/s/m", tc.p); got != tc.ok {
			t.Errorf("isRetiredName(/s/m, %s) = %v; want %v", tc.p, got, tc.ok)
		}
	}
}
