//go:build unix

package share

import (
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/mux"
	"github.com/sshshare/sshshare/share/upstream"
)

// TestMuxDoorStopOtherView: ssh -O stop and -O exit from a client whose
// options make another view go to that view's master (MuxClient.Stop,
// drain for stop), are answered OK, and leave this master and its sockets
// alone; a failure to reach that master is the client's failure, not a
// stop of this one.
func TestMuxDoorStopOtherView(t *testing.T) {
	var mu sync.Mutex
	var stops []bool
	var stopErr error
	own := false
	f := startMaster(t, newFakeUpstream(t), withMux(), func(c *MasterConfig, _ *upstream.HostConfig) {
		c.MuxClientView = func(int) MuxClient {
			mu.Lock()
			defer mu.Unlock()
			if own {
				return MuxClient{}
			}
			return MuxClient{
				Refusal: errors.New("another view"),
				Stop: func(drain bool) error {
					mu.Lock()
					defer mu.Unlock()
					stops = append(stops, drain)
					return stopErr
				},
			}
		}
	})
	c := dialMux(t, f)
	c.write(&mux.StopListening{RequestID: 1})
	if ok, isOK := c.read().(*mux.OK); !isOK || ok.RequestID != 1 {
		t.Fatalf("reply to stop listening: %+v; want OK 1", ok)
	}
	c = dialMux(t, f)
	c.write(&mux.Terminate{RequestID: 2})
	if ok, isOK := c.read().(*mux.OK); !isOK || ok.RequestID != 2 {
		t.Fatalf("reply to terminate: %+v; want OK 2", ok)
	}
	mu.Lock()
	stopErr = errors.New("no such master")
	mu.Unlock()
	c = dialMux(t, f)
	c.write(&mux.StopListening{RequestID: 3})
	if fl, ok := c.read().(*mux.Failure); !ok || fl.RequestID != 3 || !strings.Contains(fl.Reason, "no such master") {
		t.Fatalf("reply to stop listening, no master of the view: %+v; want failure 3 with the reason", fl)
	}
	mu.Lock()
	got := append([]bool(nil), stops...)
	mu.Unlock()
	if len(got) != 3 || !got[0] || got[1] || !got[2] {
		t.Errorf("stops passed on (drain each): %v; want [true false true]", got)
	}
	f.notServed(t, 200*time.Millisecond, "a stop for another view's master")
	for _, p := range []string{f.socket, f.m.cfg.MuxSocket} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s after stops for another view: %v; want it kept", p, err)
		}
	}
	// The master's own view stops it as before.
	mu.Lock()
	own = true
	mu.Unlock()
	c = dialMux(t, f)
	c.write(&mux.StopListening{RequestID: 4})
	if _, ok := c.read().(*mux.OK); !ok {
		t.Fatal("no OK for stop listening from the master's own view")
	}
	f.waitServed(t, 10*time.Second)
}
