package control

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

func TestHelloRoundTrip(t *testing.T) {
	tests := []Hello{
		{Version: ProtocolVersion, Op: OpShare},
		{Version: ProtocolVersion, Op: OpTunnel, Host: "10.0.0.5", Port: 22},
		{Version: ProtocolVersion, Op: OpStop, Drain: true},
	}
	for _, want := range tests {
		t.Run(want.Op, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteFrame(&buf, want); err != nil {
				t.Fatal(err)
			}
			buf.WriteString("SSH-2.0-rest")
			got, err := ReadHello(&buf)
			if err != nil {
				t.Fatalf("ReadHello: %v", err)
			}
			if got != want {
				t.Errorf("got %+v; want %+v", got, want)
			}
			if rest := buf.String(); rest != "SSH-2.0-rest" {
				t.Errorf("bytes after the frame: got %q; want %q", rest, "SSH-2.0-rest")
			}
		})
	}
}

func TestHelloRefused(t *testing.T) {
	tests := []struct {
		name  string
		frame []byte
		want  string
	}{
		{"huge length", []byte{0xff, 0xff, 0xff, 0xff}, "too large"},
		{"short", []byte{0, 0, 0, 9, '{'}, "read frame"},
		{"not json", frameOf("hello"), "decode frame"},
		{"old version", frameOf(`{"v":0,"op":"share"}`), "version 0"},
		{"unknown op", frameOf(`{"v":1,"op":"rm -rf"}`), `unknown control op "rm -rf"`},
		{"tunnel port", frameOf(`{"v":1,"op":"tunnel","host":"h","port":70000}`), "bad target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadHello(bytes.NewReader(tt.frame))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestFrameTooLargeIsSentinel(t *testing.T) {
	_, err := ReadHello(bytes.NewReader([]byte{0, 0x10, 0, 1}))
	if !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("got %v; want ErrFrameTooLarge", err)
	}
}

func frameOf(body string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	return append(b, body...)
}

func FuzzReadHello(f *testing.F) {
	f.Add(frameOf(`{"v":1,"op":"share"}`))
	f.Add(frameOf(`{"v":1,"op":"tunnel","host":"a","port":22}`))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ReadHello(bytes.NewReader(b))
		if err != nil {
			return
		}
		if (h.Op == OpShare || h.Op == OpTunnel) && h.Version != ProtocolVersion {
			t.Errorf("accepted a %s hello of version %d", h.Op, h.Version)
		}
	})
}

func FuzzReadReply(f *testing.F) {
	f.Add(frameOf(`{"v":1,"ok":true,"pid":7,"stdio":true}`))
	f.Add(frameOf(`{"ok":false,"error":"control protocol version 2, want 1"}`))
	f.Add(frameOf(`{"v":1,"ok":true,"status":{"target":"a@b:22","pid":7,"tunnel_targets":["x:1"]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Reply
		if ReadFrame(bytes.NewReader(b), &r) != nil {
			return
		}
		if v, skewed := skewOf(r); skewed && (v == ProtocolVersion || r.OK) {
			t.Errorf("skewOf(%+v) = %d, true", r, v)
		}
	})
}
