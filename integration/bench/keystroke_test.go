//go:build linux

package bench

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
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
		for _, m := range e.ordered(round) {
			figures[m].idle = append(figures[m].idle, sessions[m].typeKeys(perRound)...)
		}
	}
	for round := range *keyRounds {
		for _, m := range e.ordered(round) {
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
// /dev/null, as the bulk benchmark's downloads, so that nothing here
// takes CPU time from the path being timed. Its progress is what the
// remote cat has read (rchar in /proc/PID/io); the client is behind it by
// what the buffers and the channel window hold, a few MB.
type download struct {
	e     *env
	m     method
	ssh   *started
	cat   int   // the remote cat's pid
	base  int64 // what it had read when the download was found flowing
	start time.Time
}

// startDownload starts m's bulk download and waits until it flows.
func (e *env) startDownload(m method) *download {
	e.b.Helper()
	cmd := e.client.SSH(m.Host(), bulkDownload)
	cmd.Stdout = e.open(os.DevNull, os.O_WRONLY)
	d := &download{e: e, m: m}
	d.ssh = e.start(cmd, "download-"+m.Key())
	deadline := time.Now().Add(10 * time.Second)
	for {
		if pids := e.remoteCats(); len(pids) == 1 {
			d.cat = pids[0]
			if d.base = readChars(d.cat); d.base >= bulkFlowing {
				d.start = time.Now()
				return d
			}
		}
		if d.ssh.proc.Exited() || time.Now().After(deadline) {
			e.b.Fatalf("%s: bulk download not flowing 10s after it started (remote cat %d had read %d bytes): %s",
				m.Name(), d.cat, d.base, e.wait(d.ssh))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stop kills the download's ssh, waits until the remote cat has gone too
// (so the next method's figures do not pay for its end), and returns what
// it moved since it flowed, and in how long.
func (d *download) stop() (int64, time.Duration) {
	n, took := readChars(d.cat)-d.base, time.Since(d.start)
	d.ssh.proc.Kill()
	d.e.wait(d.ssh)
	deadline := time.Now().Add(5 * time.Second)
	for len(d.e.remoteCats()) > 0 {
		if time.Now().After(deadline) {
			d.e.b.Fatalf("%s: remote %q still running 5s after its ssh was killed", d.m.Name(), bulkDownload)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return n, took
}

// catArgv is the command line of the remote side of a download once the
// shell has exec'd it.
var catArgv = []byte("cat\x00/dev/zero\x00")

// remoteCats lists the processes below sshd that run the download's
// remote cat.
func (e *env) remoteCats() []int {
	var out []int
	for _, pid := range descendants(e.sshd.Proc.Pid()) {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if bytes.Equal(b, catArgv) && alive(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// readChars is what pid has read so far (rchar in /proc/PID/io), 0 if it
// is gone.
func readChars(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/io")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "rchar:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(rest), 10, 64)
			return n
		}
	}
	return 0
}

// keyTable reports the echo latencies and the target.
func (e *env) keyTable(figures map[method]*keyFigures) {
	t := table{
		title: "Keystroke echo, 0 ms RTT: idle and during a bulk download over the same master",
		note: fmt.Sprintf("%d keys per method and state, typed one at a time into `ssh -t host` on a pty of the "+
			"benchmark's own, 10-20 ms apart; each is timed from its write to the read that brings its echo "+
			"from the remote terminal. During bulk, `ssh host cat /dev/zero > /dev/null` runs through the same "+
			"master (one download per method and round, %d rounds, the methods interleaved); its rate meanwhile "+
			"is what the remote cat read. Target (issue 18): the mux door's p95 during bulk <= 2x its idle p95.",
			*keystrokes, *keyRounds),
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
