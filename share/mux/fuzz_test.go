package mux

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
)

// FuzzReadMessage feeds Read untrusted bytes, as a master reads them from
// whoever connects to its socket. It must not panic; it must refuse an
// oversize length after reading only the length word (so nothing was
// allocated for the body); it must never read past the packet; and a
// decoded message must encode back to the packet it came from.
func FuzzReadMessage(f *testing.F) {
	for _, m := range sample() {
		f.Add(packet(f, m))
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0, 0, 8, 0x10, 0, 0, 0x03, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := &countingReader{r: bytes.NewReader(b)}
		m, err := Read(r)
		if len(b) >= 4 && binary.BigEndian.Uint32(b) > MaxPacketSize {
			if !errors.Is(err, ErrPacketTooLarge) || r.n != 4 {
				t.Fatalf("oversize length: got %v after %d bytes; want ErrPacketTooLarge after 4", err, r.n)
			}
			return
		}
		if r.n > 4+MaxPacketSize {
			t.Fatalf("read %d bytes", r.n)
		}
		if err != nil {
			return
		}
		body := b[4:r.n]
		if int(binary.BigEndian.Uint32(b)) != len(body) {
			t.Fatalf("read %d bytes of a %d-byte body", len(body), binary.BigEndian.Uint32(b))
		}
		enc := Marshal(m)
		if !bytes.Equal(enc, canonicalBools(body)) {
			t.Fatalf("%v: packet %x re-encodes as %x", m.Type(), body, enc)
		}
		again, err := Unmarshal(enc)
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("%v: re-encoding decodes as %+v, %v; want %+v", m.Type(), again, err, m)
		}
	})
}

// canonicalBools rewrites a NEW_SESSION body's four bool words as 0 or 1,
// what Marshal writes for the true any non-zero word decodes as: the one
// place where the format is not canonical.
func canonicalBools(body []byte) []byte {
	if len(body) < 12 || MsgType(binary.BigEndian.Uint32(body)) != MsgNewSession {
		return body
	}
	at := 12 + int(binary.BigEndian.Uint32(body[8:])) // after type, rid, reserved
	out := bytes.Clone(body)
	for i := 0; i < 4; i++ {
		if w := out[at+4*i:]; binary.BigEndian.Uint32(w) != 0 {
			binary.BigEndian.PutUint32(w, 1)
		}
	}
	return out
}
