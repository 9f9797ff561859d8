package mux

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// sample holds one or more values of every message type.
func sample() []Message {
	return []Message{
		&Hello{Version: ProtocolVersion},
		&Hello{Version: ProtocolVersion, Extensions: []Extension{{"info", "0"}, {"", ""}}},
		&NewSession{RequestID: 1, EscapeChar: '~', Term: "xterm", Command: "echo hi", Env: []string{"FOO=bar"}},
		&NewSession{RequestID: 2, Reserved: "r", WantTTY: true, WantX11: true, WantAgent: true, Subsystem: true,
			EscapeChar: EscapeNone, Command: "sftp", Env: []string{"GIT_PROTOCOL=version=2", "", "LANG=C.UTF-8"}},
		&AliveCheck{RequestID: 0},
		&Terminate{RequestID: 3},
		&OpenForward{RequestID: 4, Forward: Forward{Kind: ForwardLocal, ListenHost: "", ListenPort: 8080, ConnectHost: "db", ConnectPort: 5432}},
		&OpenForward{RequestID: 5, Forward: Forward{Kind: ForwardRemote, ListenHost: "/tmp/l.sock", ListenPort: PortStreamLocal, ConnectHost: "socks"}},
		&CloseForward{RequestID: 6, Forward: Forward{Kind: ForwardDynamic, ListenHost: "*", ListenPort: 1080, ConnectHost: "socks"}},
		&NewStdioForward{RequestID: 7, Host: "inner.example", Port: 22},
		&NewStdioForward{RequestID: 8, Host: "/run/sshd.sock", Port: PortStreamLocal},
		&StopListening{RequestID: 9},
		&Proxy{RequestID: 10},
		&ExtInfo{RequestID: 11, Name: "channels"},
		&OK{RequestID: 12},
		&PermissionDenied{RequestID: 13, Reason: "Permission denied"},
		&Failure{RequestID: 14, Reason: "unsupported request"},
		&ExitMessage{SessionID: 15, ExitValue: 44},
		&Alive{RequestID: 16, PID: 4242},
		&SessionOpened{RequestID: 17, SessionID: 3},
		&RemotePort{RequestID: 18, Port: 40022},
		&TTYAllocFail{SessionID: 19},
		&ProxyReply{RequestID: 20},
		&ExtInfoReply{RequestID: 21, Status: ExtInfoStatusOK, Text: "channel 0: …\n"},
	}
}

func packet(t testing.TB, m Message) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, m); err != nil {
		t.Fatalf("Write(%v): %v", m.Type(), err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	seen := map[MsgType]bool{}
	for _, want := range sample() {
		seen[want.Type()] = true
		t.Run(want.Type().String(), func(t *testing.T) {
			r := bytes.NewReader(append(packet(t, want), "next"...))
			got, err := Read(r)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v; want %+v", got, want)
			}
			if rest, _ := io.ReadAll(r); string(rest) != "next" {
				t.Errorf("bytes after the packet: got %q; want %q", rest, "next")
			}
		})
	}
	for typ := range msgNames {
		if !seen[typ] {
			t.Errorf("no sample of %v", typ)
		}
	}
}

// TestGolden checks layouts against the note
// (shared/notes/openssh-mux-protocol.md). The NEW_SESSION bytes are the
// note's probed test vector of §2.3; the others are its §2.3 layouts
// written out.
func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		hex  string // the whole packet, length first
		want Message
	}{
		{
			"§2.3 NEW_SESSION: TERM=xterm ssh -o SetEnv=FOO=bar h 'echo hi' (probed)",
			"0000003f" + "10000002 00000001 00000000 00000000 00000000 00000000 00000000 0000007e" +
				"00000005 787465726d 00000007 6563686f206869 00000007 464f4f3d626172",
			&NewSession{RequestID: 1, EscapeChar: '~', Term: "xterm", Command: "echo hi", Env: []string{"FOO=bar"}},
		},
		{
			"§2.3 HELLO, version 4, no request id",
			"00000008 00000001 00000004",
			&Hello{Version: 4},
		},
		{
			"§2.3 HELLO of a 10.3+ master: info=0",
			"00000015 00000001 00000004 00000004 696e666f 00000001 30",
			&Hello{Version: 4, Extensions: []Extension{{"info", "0"}}},
		},
		{
			"§2.3 ALIVE: rid, pid",
			"0000000c 80000005 00000000 00001092",
			&Alive{RequestID: 0, PID: 4242},
		},
		{
			"§7 FAILURE unsupported request",
			"0000001f 80000003 00000002 00000013 756e737570706f7274656420 72657175657374",
			&Failure{RequestID: 2, Reason: "unsupported request"},
		},
		{
			"§2.3 OPEN_FWD -D 1080: type 3, connect socks:0",
			"00000021 10000006 00000000 00000003 00000000 00000438 00000005 736f636b73 00000000",
			&OpenForward{Forward: Forward{Kind: ForwardDynamic, ListenPort: 1080, ConnectHost: "socks"}},
		},
		{
			"§2.3/§2.5 NEW_STDIO_FWD: the port is a uint32",
			"00000015 10000008 00000001 00000000 00000001 68 00000016",
			&NewStdioForward{RequestID: 1, Host: "h", Port: 22},
		},
		{
			"§2.3 EXIT_MESSAGE: session id, not request id",
			"0000000c 80000004 00000003 0000002c",
			&ExitMessage{SessionID: 3, ExitValue: 44},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := hex.DecodeString(strings.ReplaceAll(tt.hex, " ", ""))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Read(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Read: got %+v; want %+v", got, tt.want)
			}
			if enc := packet(t, tt.want); !bytes.Equal(enc, raw) {
				t.Errorf("Write: got %x; want %x", enc, raw)
			}
		})
	}
}

// TestTruncated cuts every sample short in both ways a packet can be: the
// stream ends inside it, or its length word covers only part of a layout.
func TestTruncated(t *testing.T) {
	for _, m := range sample() {
		full := packet(t, m)
		for n := 0; n < len(full); n++ {
			_, err := Read(bytes.NewReader(full[:n]))
			if !errors.Is(err, io.ErrUnexpectedEOF) && !(n == 0 && errors.Is(err, io.EOF)) {
				t.Errorf("%v cut at %d of %d bytes: got %v; want an unexpected EOF", m.Type(), n, len(full), err)
			}
		}
		body := full[4:]
		for n := 0; n < len(body); n++ {
			got, err := Unmarshal(body[:n])
			if err == nil {
				// A Hello or NewSession ends with a list; cut
				// between items it is a shorter valid message.
				if enc := Marshal(got); !bytes.Equal(enc, body[:n]) {
					t.Errorf("%v body cut at %d decoded as %+v, which encodes as %x", m.Type(), n, got, enc)
				}
				continue
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%v body cut at %d: got %v; want ErrMalformed", m.Type(), n, err)
			}
		}
	}
}

// countingReader counts what it hands out, to show that an oversize
// length word is refused before the body is read.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestOversize(t *testing.T) {
	for _, n := range []uint32{MaxPacketSize + 1, 1 << 31, 0xffffffff} {
		raw := binary.BigEndian.AppendUint32(nil, n)
		raw = append(raw, make([]byte, 64)...)
		r := &countingReader{r: bytes.NewReader(raw)}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Read(r)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrPacketTooLarge) {
			t.Errorf("length %d: got %v; want ErrPacketTooLarge", n, err)
		}
		if r.n != 4 {
			t.Errorf("length %d: read %d bytes; want 4", n, r.n)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<10 {
			t.Errorf("length %d: allocated %d bytes", n, grew)
		}
	}
}

func TestMaxPacketSizeAccepted(t *testing.T) {
	m := &Failure{Reason: strings.Repeat("x", MaxPacketSize-12)}
	got, err := Read(bytes.NewReader(packet(t, m)))
	if err != nil {
		t.Fatalf("Read of a %d-byte body: %v", MaxPacketSize, err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Error("got a different message back")
	}
	m.Reason += "x"
	if err := Write(io.Discard, m); !errors.Is(err, ErrPacketTooLarge) {
		t.Errorf("Write of a %d-byte body: got %v; want ErrPacketTooLarge", MaxPacketSize+1, err)
	}
}

func TestMalformed(t *testing.T) {
	tests := []struct {
		name string
		body []byte
	}{
		{"empty body", nil},
		{"short type", []byte{0x80, 0, 0}},
		{"OK with a byte left over", append(Marshal(&OK{RequestID: 1}), 0)},
		{"ALIVE_CHECK with a word left over", append(Marshal(&AliveCheck{}), 0, 0, 0, 0)},
		{"string longer than the packet", append(Marshal(&Failure{RequestID: 1})[:8], 0xff, 0xff, 0xff, 0xf0, 'x')},
		{"HELLO with half an extension", appendString(Marshal(&Hello{Version: 4}), "info")},
		{"NEW_SESSION env string cut", Marshal(&NewSession{Env: []string{"A=b"}})[:42]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Unmarshal(tt.body)
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("got %+v, %v; want ErrMalformed", m, err)
			}
		})
	}
}

func TestUnknownType(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want UnknownTypeError
	}{
		{"with request id", []byte{0x10, 0, 0, 0x03, 0, 0, 0, 7, 'x'}, UnknownTypeError{Type: 0x10000003, RequestID: 7, HasRequestID: true}},
		{"type only", []byte{0x20, 0, 0, 0x02}, UnknownTypeError{Type: 0x20000002}},
		{"short request id", []byte{0x20, 0, 0, 0x02, 0, 0}, UnknownTypeError{Type: 0x20000002}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WritePacket(&buf, tt.body); err != nil {
				t.Fatal(err)
			}
			if err := Write(&buf, &AliveCheck{RequestID: 8}); err != nil {
				t.Fatal(err)
			}
			_, err := Read(&buf)
			var ue *UnknownTypeError
			if !errors.As(err, &ue) || *ue != tt.want {
				t.Fatalf("got %v; want %+v", err, tt.want)
			}
			// The packet was consumed whole: the next one reads.
			if m, err := Read(&buf); err != nil || !reflect.DeepEqual(m, &AliveCheck{RequestID: 8}) {
				t.Errorf("next packet: got %+v, %v; want the ALIVE_CHECK", m, err)
			}
		})
	}
}

func TestBoolIsAnyNonZeroWord(t *testing.T) {
	body := Marshal(&NewSession{})
	binary.BigEndian.PutUint32(body[12:], 2) // want_tty, after type, rid and an empty reserved
	m, err := Unmarshal(body)
	if err != nil {
		t.Fatal(err)
	}
	if !m.(*NewSession).WantTTY {
		t.Error("want_tty 2 decoded as false; OpenSSH's master takes it as true")
	}
}

func TestEOFBetweenPackets(t *testing.T) {
	_, err := Read(bytes.NewReader(nil))
	if !errors.Is(err, io.EOF) {
		t.Errorf("got %v; want io.EOF", err)
	}
}

func TestMsgTypeString(t *testing.T) {
	tests := []struct {
		t    MsgType
		want string
	}{
		{MsgNewSession, "MUX_C_NEW_SESSION"},
		{MsgProxyReply, "MUX_S_PROXY"},
		{0x10000003, "0x10000003"},
	}
	for _, tt := range tests {
		if got := tt.t.String(); got != tt.want {
			t.Errorf("MsgType(%#x).String() = %q; want %q", uint32(tt.t), got, tt.want)
		}
	}
}

// TestZeroValues checks, for every known type, that newMessage gives a
// message of that type and that its zero value round-trips: each layout
// holds only field types the codec knows.
func TestZeroValues(t *testing.T) {
	for typ := range msgNames {
		m := newMessage(typ)
		if m == nil || m.Type() != typ {
			t.Errorf("newMessage(%v) = %T", typ, m)
			continue
		}
		got, err := Unmarshal(Marshal(m))
		if err != nil || !reflect.DeepEqual(got, m) {
			t.Errorf("%v: zero value decodes as %+v, %v", typ, got, err)
		}
	}
}
