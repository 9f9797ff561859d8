//go:build linux

package bench

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

var (
	keystrokes = flag.Int("keystrokes", 200, "Keystrokes per method, idle and again during a bulk download.")
	keyRounds  = flag.Int("key-rounds", 4, "Rounds the keystrokes are split into, interleaving the methods.")
)

const (
	// echoTimeout bounds the wait for one key's echo.
	echoTimeout = 5 * time.Second
	// bulkFlowing is how much a bulk download must have moved before the
	// keystrokes meant to run beside it start.
	bulkFlowing = 20e6
	// interactive is the remote side of the typing session: the remote
	// terminal echoes each key as it arrives (sane, as ssh sends the local
	// terminal's raw modes; -icanon so that no line collects), and cat
	// takes the keys.
	interactive = "stty sane -icanon; echo ready; exec cat > /dev/null"
	// bulkDownload is the remote side of the bulk download that runs
	// beside the typing: zeros until ssh is killed.
	bulkDownload = "exec cat /dev/zero"
)

// keyFigures are one method's echo latencies, idle and during a bulk
// download over the same master, and the download's rate meanwhile.
type keyFigures struct {
	idle, loaded []time.Duration
	bulkBytes    int64
	bulkTime     time.Duration
}

// benchKeystroke types -keystrokes keys into an interactive session of
// each sharing method (a pty opened here, ssh -t, a remote terminal that
// echoes) and times each key from its write to its echo: first idle,
// then while `ssh host cat /dev/zero` downloads through the same master.
// The methods take turns in -key-rounds rounds, one bulk download per
// method and round.
func benchKeystroke(b *testing.B) {
	e := newEnv(b, 0, harness.SSHDOptions{})
	e.methods = []method{e.mux, e.share, e.cm}
	e.warmUp()
	served := e.muxServed()
	sessions := make(map[method]*keySession)
	for _, m := range e.methods {
		sessions[m] = e.openKeySession(m)
	}
	figures := make(map[method]*keyFigures)
	for _, m := range e.methods {
		figures[m] = &keyFigures{}
	}
	perRound := max(1, *keystrokes / *keyRounds)
	for round := range *keyRounds {
		for _, m := range e.rotated(round) {
			figures[m].idle = append(figures[m].idle, sessions[m].typeKeys(perRound)...)
		}
	}
	for round := range *keyRounds {
		for _, m := range e.rotated(round) {
			d := e.startDownload(m)
			figures[m].loaded = append(figures[m].loaded, sessions[m].typeKeys(perRound)...)
			n, took := d.stop()
			figures[m].bulkBytes += n
			figures[m].bulkTime += took
		}
	}
	e.requireMuxServed(served, 1+*keyRounds, "typing session and bulk downloads")
	for _, m := range e.methods {
		sessions[m].end()
	}
	e.stopAll()
	e.keyTable(figures)
}

// keySession is an interactive ssh session on a pty of this process.
type keySession struct {
	e    *env
	m    method
	pty  *pty
	ssh  *started
	next byte // the next key to type, 'a' to 'z' in turn
}

// openKeySession starts `ssh -t host` with the interactive remote side
// on a new pty, as its controlling terminal, and waits until the remote
// side is ready.
func (e *env) openKeySession(m method) *keySession {
	e.b.Helper()
	p, err := openPTY()
	if err != nil {
		e.b.Fatalf("%s: %v", m.Name(), err)
	}
	cmd := e.client.SSH("-t", m.Host(), interactive)
	cmd.Env = append(cmd.Env, "TERM=xterm")
	cmd.Stdin, cmd.Stdout = p.slave, p.slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	k := &keySession{e: e, m: m, pty: p, next: 'a'}
	k.ssh = e.start(cmd, "keys-"+m.Key())
	p.slave.Close() // ssh has its own copy; with it gone, the reader ends when ssh does
	if _, err := p.screen.waitFor(0, []byte("ready\r\n"), cmdTimeout); err != nil {
		r := k.end()
		e.b.Fatalf("%s: interactive session did not start: %v; ssh: %s", m.Name(), err, r)
	}
	return k
}

// typeKeys types n keys, one at a time, each once the previous one has
// echoed and a typist's pause has passed, and returns each key's time
// from its write to the read that brought its echo.
func (k *keySession) typeKeys(n int) []time.Duration {
	k.e.b.Helper()
	out := make([]time.Duration, 0, n)
	for range n {
		key := []byte{k.next}
		k.next = 'a' + (k.next-'a'+1)%26
		from := k.pty.screen.len()
		start := time.Now()
		if _, err := k.pty.master.Write(key); err != nil {
			k.e.b.Fatalf("%s: type a key: %v", k.m.Name(), err)
		}
		at, err := k.pty.screen.waitFor(from, key, echoTimeout)
		if err != nil {
			r := k.end()
			k.e.b.Fatalf("%s: key %q: %v; ssh: %s", k.m.Name(), key, err, r)
		}
		out = append(out, at.Sub(start))
		time.Sleep(time.Duration(10+rand.IntN(10)) * time.Millisecond)
	}
	return out
}

// end closes the pty, which hangs up ssh's terminal as closing a
// terminal window does, and waits for ssh. ssh then exits 255, unable to
// restore the terminal's modes; that is the hang-up, not a failure.
func (k *keySession) end() run {
	k.pty.close()
	return k.e.wait(k.ssh)
}

// download is a bulk download under way: `ssh host cat /dev/zero` into
// a pipe this process drains and counts.
type download struct {
	e     *env
	m     method
	ssh   *started
	pipe  *os.File
	moved atomic.Int64
	start time.Time
	done  chan struct{}
}

// startDownload starts m's bulk download and waits until it flows.
func (e *env) startDownload(m method) *download {
	e.b.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		e.b.Fatalf("pipe: %v", err)
	}
	cmd := e.client.SSH(m.Host(), bulkDownload)
	cmd.Stdout = w
	d := &download{e: e, m: m, pipe: r, done: make(chan struct{})}
	d.ssh = e.start(cmd, "download-"+m.Key())
	w.Close()
	go d.drain()
	deadline := time.Now().Add(10 * time.Second)
	for d.moved.Load() < bulkFlowing {
		if d.ssh.proc.Exited() || time.Now().After(deadline) {
			d.pipe.Close()
			e.b.Fatalf("%s: bulk download moved %d bytes in 10s: %s", m.Name(), d.moved.Load(), e.wait(d.ssh))
		}
		time.Sleep(5 * time.Millisecond)
	}
	d.moved.Store(0)
	d.start = time.Now()
	return d
}

// drain reads the download's pipe to its end, counting.
func (d *download) drain() {
	defer close(d.done)
	b := make([]byte, 256<<10)
	for {
		n, err := d.pipe.Read(b)
		d.moved.Add(int64(n))
		if err != nil {
			return
		}
	}
}

// stop kills the download's ssh, waits until the remote cat has gone too
// (so the next method's figures do not pay for its end), and returns what
// it moved since it flowed, and in how long.
func (d *download) stop() (int64, time.Duration) {
	n, took := d.moved.Load(), time.Since(d.start)
	d.ssh.proc.Kill()
	d.e.wait(d.ssh)
	<-d.done
	d.pipe.Close()
	d.e.waitRemoteGone(d.m, bulkDownload)
	return n, took
}

// waitRemoteGone waits up to 5 s until no process below sshd runs the
// remote command cmd (an exec'd "cat /dev/zero": its argv).
func (e *env) waitRemoteGone(m method, cmd string) {
	e.b.Helper()
	argv := []byte("cat\x00/dev/zero\x00")
	deadline := time.Now().Add(5 * time.Second)
	for {
		running := false
		for _, pid := range descendants(e.sshd.Proc.Pid()) {
			b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
			if bytes.Equal(b, argv) && alive(pid) {
				running = true
			}
		}
		if !running {
			return
		}
		if time.Now().After(deadline) {
			e.b.Fatalf("%s: remote %q still running 5s after its ssh was killed", m.Name(), cmd)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// keyTable reports the echo latencies and the target.
func (e *env) keyTable(figures map[method]*keyFigures) {
	t := table{
		title: "Keystroke echo, 0 ms RTT: idle and during a bulk download over the same master",
		note: fmt.Sprintf("%d keys per method and state, typed one at a time into `ssh -t host` on a pty of the "+
			"benchmark's own, 10-20 ms apart; each is timed from its write to the read that brings its echo "+
			"from the remote terminal. During bulk, `ssh host cat /dev/zero` runs through the same master "+
			"(one download per method and round, %d rounds, the methods interleaved); its rate meanwhile is "+
			"given.", *keystrokes, *keyRounds),
		head: []string{"method", "idle p50", "idle p95", "bulk p50", "bulk p95", "bulk p95 / idle p95",
			"bulk MB/s meanwhile", "bulk p95 vs ControlMaster"},
	}
	cm := figures[e.cm]
	for _, m := range e.methods {
		f := figures[m]
		idle95, loaded95 := msf(percentile(f.idle, 95)), msf(percentile(f.loaded, 95))
		t.rows = append(t.rows, []string{m.Name(), msFine(percentile(f.idle, 50)), msFine(percentile(f.idle, 95)),
			msFine(percentile(f.loaded, 50)), msFine(percentile(f.loaded, 95)), ratio(loaded95, idle95),
			fmt.Sprintf("%.0f", float64(f.bulkBytes)/1e6/f.bulkTime.Seconds()),
			ratio(loaded95, msf(percentile(cm.loaded, 95)))})
		e.b.ReportMetric(msf(percentile(f.idle, 50)), m.Key()+"-idle-p50-ms")
		e.b.ReportMetric(idle95, m.Key()+"-idle-p95-ms")
		e.b.ReportMetric(msf(percentile(f.loaded, 50)), m.Key()+"-bulk-p50-ms")
		e.b.ReportMetric(loaded95, m.Key()+"-bulk-p95-ms")
	}
	e.b.ReportMetric(0, "ns/op")
	e.addTable(t)
	mux := figures[e.mux]
	idle, loaded := msf(percentile(mux.idle, 95)), msf(percentile(mux.loaded, 95))
	results.addTarget("keystroke echo p95 during a bulk download: mux door <= 2x its idle p95 (issue 18)",
		fmt.Sprintf("%s against %s idle (%s)", msFine(percentile(mux.loaded, 95)), msFine(percentile(mux.idle, 95)),
			targetRatio(loaded, idle, 2)), loaded <= 2*idle)
}

// msFine formats a duration in milliseconds with two decimals, for
// latencies below a millisecond.
func msFine(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
