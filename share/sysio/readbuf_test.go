package sysio

import (
	"bytes"
	"io"
	"testing"

	"github.com/sshshare/sshshare/share/sshtest"
)

func TestBufferedConnReadsEverythingInOrder(t *testing.T) {
	a, b := sshtest.TCPPair(t)
	want := make([]byte, 1<<20)
	for i := range want {
		want[i] = byte(i * 7)
	}
	go func() {
		for off := 0; off < len(want); off += 1000 {
			a.Write(want[off:min(off+1000, len(want))])
		}
		a.Close()
	}()
	c := ReadBuffered(b, 4096)
	var got bytes.Buffer
	// Alternate x/crypto's shapes of read: a 4-byte prefix, a 4 KiB
	// buffer fill, a packet-sized read that may go straight through.
	sizes := []int{4, 4096, 32 << 10, 1, 20 << 10}
	for i := 0; ; i++ {
		p := make([]byte, sizes[i%len(sizes)])
		n, err := c.Read(p)
		got.Write(p[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read: %v", err)
		}
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("read %d bytes, not the %d written in order", got.Len(), len(want))
	}
}
