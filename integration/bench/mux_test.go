//go:build linux

package bench

import (
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// muxMethod connects through sshshare's mux door (issue 18): the
// ProxyCommand door's Host block plus `ControlPath <dir>/%r@%n-%p.mux` and
// `ControlMaster no`. A warm ssh speaks OpenSSH's multiplexing protocol
// to the master in-process; a cold one finds no socket and runs the
// ProxyCommand. Its Host block has a master of its own, as every block
// does; the ProxyCommand door's master would serve a mux socket at the
// same path, but the first master to publish keeps it, and the mux
// door's, whose Host block comes first in every warm-up, is that one.
type muxMethod struct{ sshshareMasters }

func newMux(e *env, route []string) method {
	e.client.AddMuxHost("mux", e.bin, route...)
	return muxMethod{sshshareMasters{e, "mux"}}
}

func (muxMethod) Name() string { return "sshshare (mux door)" }
func (muxMethod) Key() string  { return "sshshare-mux" }
func (muxMethod) Host() string { return "mux" }

// muxSocketWait bounds the wait for a master's mux socket after the
// command that started the master has exited: the master publishes it
// once its login has succeeded, about when it serves that command.
const muxSocketWait = 5 * time.Second

// requireMuxDoor fails the benchmark unless the mux door's master serves
// a mux socket. Without one, ssh falls back to the ProxyCommand silently,
// and the mux door's figures would be the ProxyCommand door's under
// another name.
func (e *env) requireMuxDoor() {
	e.b.Helper()
	deadline := time.Now().Add(muxSocketWait)
	for {
		s, ok := e.muxStatus()
		if ok && s.MuxSocket != "" {
			return
		}
		if time.Now().After(deadline) {
			e.b.Fatalf("%s: its master serves no mux socket %v after it started "+
				"(sshshare status --json: %+v): ssh would fall back to the ProxyCommand door, "+
				"so there is no mux door to measure", e.mux.Name(), muxSocketWait, e.client.MuxMasters(e.bin))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// muxStatus is the mux door's part of the status of the mux door's one
// master, and whether there is one.
func (e *env) muxStatus() (harness.MuxStatus, bool) {
	e.b.Helper()
	pids := e.mux.Masters()
	if len(pids) != 1 {
		return harness.MuxStatus{}, false
	}
	for _, s := range e.client.MuxMasters(e.bin) {
		if s.Pid == pids[0] {
			return s, true
		}
	}
	return harness.MuxStatus{}, false
}

// muxServed is how many sessions and stdio forwards the mux door's master
// has served through its mux socket so far.
func (e *env) muxServed() int {
	e.b.Helper()
	s, _ := e.muxStatus()
	return int(s.MuxSessions)
}

// requireMuxServed fails the benchmark unless the mux door served at
// least want sessions since muxServed returned since: each of the mux
// door's samples must have gone through it, not through the ProxyCommand.
func (e *env) requireMuxServed(since, want int, what string) {
	e.b.Helper()
	if got := e.muxServed() - since; got < want {
		e.b.Fatalf("%s: %s: the master's mux door served %d sessions, want %d: "+
			"the rest fell back to the ProxyCommand door", e.mux.Name(), what, got, want)
	}
}

// hasMux reports whether the mux door is among the env's methods.
func (e *env) hasMux() bool {
	for _, m := range e.methods {
		if m == e.mux {
			return true
		}
	}
	return false
}
