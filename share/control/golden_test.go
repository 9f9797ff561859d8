package control

import (
	"bytes"
	"encoding/binary"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// updateGolden rewrites the golden frames from the values below: only when
// a frame is meant to change, with the version handling the change needs
// (see version.go).
var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/frames from the current encoding")

// goldenFrames are frames that binaries of other versions read: their
// bytes are pinned in testdata/frames/NAME.json (the body; the length
// prefix is checked too).
var goldenFrames = []struct {
	name string
	v    any
}{
	{"hello-share", Hello{Version: 1, Op: OpShare, Stdio: true}},
	{"hello-share-starter", Hello{Version: 1, Op: OpShare, Starter: true, CanPrompt: true, Stdio: true}},
	{"hello-tunnel", Hello{Version: 1, Op: OpTunnel, Host: "10.5.0.7", Port: 22}},
	{"hello-status", Hello{Version: 1, Op: OpStatus}},
	{"hello-stop-drain", Hello{Version: 1, Op: OpStop, Drain: true}},
	{"reply-share-ok", Reply{Version: 1, OK: true, Pid: 4242, Stdio: true}},
	{"reply-retry", Reply{Version: 1, Retry: true, Error: "master is exiting"}},
	{"reply-refused", Reply{Version: 1, Error: "bastion refused db:5432: connect failed", Hint: "check the target"}},
	{"reply-version", Reply{Version: 1, Retry: true, Error: "control protocol version 2, want 1"}},
	{"reply-status", Reply{Version: 1, OK: true, Status: &Status{
		Protocol: 1, Build: "v1.2.3", Target: "root@10.5.0.7:22", Alias: "web-1", Mode: OpShare, Pid: 4242,
		Socket: "/home/u/.ssh/sshshare/root@10.5.0.7-22", Started: time.Date(2026, 12, 3, 17, 0, 0, 0, time.UTC),
		Clients: 2, Channels: 3, Upstreams: 1, TunnelTargets: []string{}, BytesIn: 10, BytesOut: 20,
		IdleSeconds: 0, PersistSeconds: 120, Healthy: true, KeepaliveRTT: 1.5, Log: "/home/u/.ssh/sshshare/root@10.5.0.7-22.log",
	}}},
	// A master whose view holds the invoking ssh's options, on a keyed socket.
	{"reply-status-view", Reply{Version: 1, OK: true, Status: &Status{
		Protocol: 1, Build: "v1.3.0", Target: "root@10.5.0.7:22", Alias: "web-1", Mode: OpShare, Pid: 4243,
		SSHOptions: []string{"-i/home/u/.ssh/deploy", "-oCiphers=aes128-ctr"}, Identity: "ED25519 SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU",
		Socket: "/home/u/.ssh/sshshare/root@10.5.0.7-22+0123456789abcdef", Started: time.Date(2026, 12, 3, 17, 0, 0, 0, time.UTC),
		Clients: 1, Channels: 1, Upstreams: 1, TunnelTargets: []string{}, PersistSeconds: 120, Healthy: true,
		Log: "/home/u/.ssh/sshshare/root@10.5.0.7-22+0123456789abcdef.log",
	}}},
	{"reply-status-unread", Reply{Version: 1, OK: true, Status: &Status{
		Protocol: 1, Build: "v1.3.0", Target: "root@10.5.0.7:22", Mode: OpShare, Pid: 4244,
		SSHOptionsUnread: "reading another process's command line is not supported on this system",
		Socket:           "/home/u/.ssh/sshshare/root@10.5.0.7-22", Started: time.Date(2026, 12, 3, 17, 0, 0, 0, time.UTC),
		TunnelTargets: []string{}, PersistSeconds: 120, Log: "/home/u/.ssh/sshshare/root@10.5.0.7-22.log",
	}}},
}

func TestGoldenFrames(t *testing.T) {
	for _, g := range goldenFrames {
		t.Run(g.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteFrame(&b, g.v); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "frames", g.name+".json")
			if *updateGolden {
				if err := os.WriteFile(path, append(b.Bytes()[4:], '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want = bytes.TrimSuffix(want, []byte("\n"))
			if got := b.Bytes(); binary.BigEndian.Uint32(got) != uint32(len(want)) || !bytes.Equal(got[4:], want) {
				t.Errorf("frame %s:\n got %s\nwant %s", g.name, got[4:], want)
			}
		})
	}
}

// TestProtocol1Frames: frames as masters and invocations of protocol 1
// wrote them, before replies and statuses carried versions, still read.
func TestProtocol1Frames(t *testing.T) {
	var r Reply
	if err := ReadFrame(bytes.NewReader(frameOf(`{"ok":true,"status":{"target":"a@b:22","mode":"share","pid":7}}`)), &r); err != nil {
		t.Fatal(err)
	}
	fillStatus(r.Status, "/s")
	if !r.OK || r.Version != 0 || r.Status.Protocol != 1 || r.Status.Pid != 7 {
		t.Errorf("protocol 1 status reply: %+v %+v; want ok, no version, protocol 1, pid 7", r, r.Status)
	}
	r = Reply{}
	if err := ReadFrame(bytes.NewReader(frameOf(`{"ok":false,"error":"control protocol version 2, want 1"}`)), &r); err != nil {
		t.Fatal(err)
	}
	if v, skewed := skewOf(r); v != 1 || skewed != (ProtocolVersion != 1) {
		t.Errorf("protocol 1 refusal: skewOf = %d, %v", v, skewed)
	}
	h, err := ReadHello(bytes.NewReader(frameOf(`{"v":1,"op":"share","starter":true,"can_prompt":true,"stdio":true}`)))
	if err != nil && ProtocolVersion == 1 {
		t.Errorf("protocol 1 share hello: %v", err)
	}
	if !h.Starter || !h.CanPrompt || !h.Stdio {
		t.Errorf("protocol 1 share hello: %+v", h)
	}
}
