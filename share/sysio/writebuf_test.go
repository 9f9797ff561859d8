package sysio

import (
	"bytes"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/sshtest"
)

func TestBatchedConnKeepsOrder(t *testing.T) {
	a, b := sshtest.TCPPair(t)
	c := BatchWrites(a)
	var want bytes.Buffer
	got := make(chan []byte, 1)
	go func() {
		all, _ := io.ReadAll(b)
		got <- all
	}()
	for i := range 300 {
		p := bytes.Repeat([]byte{byte(i)}, 1+i*997%40000)
		want.Write(p)
		if n, err := c.Write(p); n != len(p) || err != nil {
			t.Fatalf("write %d: %d, %v", i, n, err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if all := <-got; !bytes.Equal(all, want.Bytes()) {
		t.Fatalf("received %d bytes, not the %d written in order", len(all), want.Len())
	}
}

func TestBatchedConnConcurrentWriters(t *testing.T) {
	a, b := sshtest.TCPPair(t)
	c := BatchWrites(a)
	got := make(chan []byte, 1)
	go func() {
		all, _ := io.ReadAll(b)
		got <- all
	}()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for range 500 {
				c.Write(bytes.Repeat([]byte{byte('a' + w)}, 100))
			}
		})
	}
	wg.Wait()
	c.Close()
	all := <-got
	if len(all) != 8*500*100 {
		t.Fatalf("received %d bytes; want %d", len(all), 8*500*100)
	}
	for i := 0; i < len(all); i += 100 {
		if !bytes.Equal(all[i:i+100], bytes.Repeat(all[i:i+1], 100)) {
			t.Fatalf("write at %d interleaved with another", i)
		}
	}
}

func TestBatchedConnReportsSendError(t *testing.T) {
	a, b := sshtest.TCPPair(t)
	c := BatchWrites(a)
	b.Close()
	var err error
	for i := 0; i < 1000 && err == nil; i++ {
		_, err = c.Write(make([]byte, 64<<10))
		time.Sleep(time.Millisecond)
	}
	if err == nil {
		t.Fatal("writes to a closed peer kept succeeding")
	}
	c.Close()
}

func TestBatchedConnCloseDoesNotHangOnStuckPeer(t *testing.T) {
	a, _ := sshtest.TCPPair(t) // the peer never reads
	c := BatchWrites(a)
	writerDone := make(chan error, 1)
	go func() {
		for {
			if _, err := c.Write(make([]byte, 64<<10)); err != nil {
				writerDone <- err
				return
			}
		}
	}()
	time.Sleep(200 * time.Millisecond) // the socket's buffers fill up
	done := make(chan error, 1)
	go func() { done <- c.Close() }()
	for _, ch := range []chan error{done, writerDone} {
		select {
		case <-ch:
		case <-time.After(closeLinger + 5*time.Second):
			t.Fatal("Close or a blocked Write hung on a peer that does not read")
		}
	}
	if _, err := c.Write([]byte("x")); err == nil {
		t.Error("write after Close succeeded")
	}
}
