package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// The seed article's `time ssh root@10.5.1.2 whoami` with ControlMaster,
// cold and warm: a 7.7x factor.
const (
	seedCold = 637 * time.Millisecond
	seedWarm = 83 * time.Millisecond
)

// outcome is one round's figures, for the summary.
type outcome struct {
	name   string
	times  []time.Duration // the first cold where the method has a master
	logins int
	shared bool // the method keeps a master, so times[0] is cold
}

// roundMux runs ssh demo whoami through the mux door: cold (no master,
// no socket: ssh falls back to the ProxyCommand, which starts the
// master), then warm through the master's mux socket.
func (d *demo) roundMux() {
	fmt.Printf("1. sshshare, mux door: ssh demo whoami, once cold and %d times warm\n\n", d.warm)
	d.sharedRound("sshshare (mux door)", "demo", func(i int) (string, string) {
		if i == 0 {
			return "cold", "no socket yet: ssh runs the ProxyCommand, sshshare starts a master, which logs in"
		}
		return fmt.Sprintf("warm %d", i), "ssh talks to the master in-process: no ProxyCommand, no new login"
	}, d.requireMuxSocket)
	if !d.interrupted.Load() {
		d.reportMuxServed()
	}
}

// reportMuxServed says how many sessions the master served through its
// mux door, so that a warm run that fell back to the ProxyCommand shows.
func (d *demo) reportMuxServed() {
	for _, m := range d.client.MuxMasters(d.bin) {
		if m.MuxSocket != "" {
			fmt.Printf("   sshshare status: the master served %d of the %d warm runs through its mux door.\n\n", m.MuxSessions, d.warm)
		}
	}
}

// requireMuxSocket checks, after the mux door's cold run, that the
// master serves its mux socket, and says where; without one every warm
// run would fall back to the ProxyCommand door unseen.
func (d *demo) requireMuxSocket() {
	deadline := time.Now().Add(5 * time.Second)
	for {
		ms := d.client.MuxMasters(d.bin)
		if len(ms) == 1 && ms[0].MuxSocket != "" {
			fmt.Printf("   %-7s  the master (pid %d) now serves its mux socket %s\n", "", ms[0].Pid, ms[0].MuxSocket)
			return
		}
		if time.Now().After(deadline) {
			d.runner.Fatalf("the sshshare master serves no mux socket 5 s after it started (sshshare status --json: %+v): "+
				"this sshshare has no mux door, and every ssh demo would fall back to the ProxyCommand", ms)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// roundProxy stops the master and runs ssh demo-proxy whoami the same
// way: the ProxyCommand door every time.
func (d *demo) roundProxy() {
	d.stopShareMasters()
	fmt.Printf("2. sshshare, ProxyCommand door: ssh demo-proxy whoami, once cold and %d times warm\n\n", d.warm)
	d.sharedRound("sshshare (ProxyCommand door)", "demo-proxy", func(i int) (string, string) {
		if i == 0 {
			return "cold", "no master yet: sshshare starts one, which logs in"
		}
		return fmt.Sprintf("warm %d", i), "ssh runs sshshare, which hands it to the master: no new login"
	}, nil)
}

// roundControlMaster runs ssh demo-cm whoami: OpenSSH's own sharing.
func (d *demo) roundControlMaster() {
	fmt.Printf("3. OpenSSH's ControlMaster: ssh demo-cm whoami, once cold and %d times warm\n\n", d.warm)
	d.sharedRound("ControlMaster", "demo-cm", func(i int) (string, string) {
		if i == 0 {
			return "cold", "no master yet: this ssh logs in and stays behind as the master"
		}
		return fmt.Sprintf("warm %d", i), "ssh talks to the master in-process: no new login"
	}, nil)
}

// sharedRound runs ssh host whoami cold, calls afterCold if set, runs it
// warm, and keeps the figures for the summary.
func (d *demo) sharedRound(name, host string, row func(i int) (label, note string), afterCold func()) {
	before := d.sshd.Logins()
	times := d.round(host, row, afterCold)
	if d.interrupted.Load() || len(times) < 2 {
		return
	}
	o := outcome{name: name, times: times, logins: d.sshd.Logins() - before, shared: true}
	d.outcomes = append(d.outcomes, o)
	fmt.Printf("\n   %s: %s cold, then %s warm (median), %s; sshd saw %s for %d commands.\n\n",
		name, secs(times[0]), secs(median(times[1:])), factor(times[0], median(times[1:])), logins(o.logins), len(times))
}

// roundPlain runs ssh demo-plain whoami as many times.
func (d *demo) roundPlain() {
	before := d.sshd.Logins()
	fmt.Printf("4. For comparison, plain ssh without sharing: ssh demo-plain whoami, %d times\n\n", d.warm+1)
	times := d.round("demo-plain", func(i int) (string, string) {
		return fmt.Sprintf("run %d", i+1), "full handshake and login"
	}, nil)
	if d.interrupted.Load() {
		return
	}
	o := outcome{name: "plain ssh", times: times, logins: d.sshd.Logins() - before}
	d.outcomes = append(d.outcomes, o)
	fmt.Printf("\n   plain ssh: %s (median) every time; sshd saw %s for %d commands.\n\n",
		secs(median(times)), logins(o.logins), len(times))
}

// round runs `ssh host whoami` d.warm+1 times and prints a table row
// for each: label and note come from row. afterCold, if set, runs after
// the first.
func (d *demo) round(host string, row func(i int) (label, note string), afterCold func()) []time.Duration {
	fmt.Printf("   %-7s  %7s  %-8s  %-11s\n", "run", "time", "output", "sshd logins")
	var times []time.Duration
	for i := 0; i <= d.warm && !d.interrupted.Load(); i++ {
		elapsed, out := d.ssh(host, "whoami")
		label, note := row(i)
		fmt.Printf("   %-7s  %7s  %-8s  %11d  %s\n", label, secs(elapsed), out, d.sshd.Logins(), note)
		times = append(times, elapsed)
		if i == 0 && afterCold != nil {
			afterCold()
		}
	}
	return times
}

// summary prints the rounds side by side with the seed article's figure.
func (d *demo) summary() {
	fmt.Printf("Side by side (%s RTT):\n\n", millis(d.rtt))
	fmt.Printf("   %-29s  %8s  %13s  %9s  %s\n", "", "cold", "warm (median)", "cold/warm", "sshd logins")
	for _, o := range d.outcomes {
		if !o.shared {
			fmt.Printf("   %-29s  %8s  %13s  %9s  %d (one per command)\n", o.name, secs(median(o.times)), secs(median(o.times)), "1.0x", o.logins)
			continue
		}
		warm := median(o.times[1:])
		fmt.Printf("   %-29s  %8s  %13s  %9s  %d\n", o.name, secs(o.times[0]), secs(warm), factor(o.times[0], warm), o.logins)
	}
	fmt.Printf("   %-29s  %8s  %13s  %9s\n\n", "seed article, ControlMaster", secs(seedCold), secs(seedWarm), factor(seedCold, seedWarm))
	fmt.Print(`   The seed's server was on a real network; here the relay sets the round
   trip, so compare factors rather than seconds. Through the mux door a warm
   ssh is the same in-process client as ControlMaster's, but sshshare's
   master keeps a session channel open in advance: one round trip to the
   server per command, where ControlMaster's master needs two.

`)
}

// factor formats cold/warm: "7.7x".
func factor(cold, warm time.Duration) string {
	if warm <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fx", float64(cold)/float64(warm))
}

// stopShareMasters stops sshshare's master, so the next command is cold.
func (d *demo) stopShareMasters() {
	d.client.StopMasters(d.bin)
}

// cmPid matches ssh -O check's answer.
var cmPid = regexp.MustCompile(`Master running \(pid=(\d+)\)`)

// stopControlMaster ends demo-cm's ControlMaster master, if one runs,
// with ssh -O exit, and kills it if it is still there 3 s later.
func (d *demo) stopControlMaster() {
	r := &d.runner
	res := harness.Run(r, cmdTimeout, d.client.SSH("-O", "check", "demo-cm"))
	m := cmPid.FindSubmatch(res.Stderr)
	if res.Code != 0 || m == nil {
		return
	}
	pid, _ := strconv.Atoi(string(m[1]))
	harness.Run(r, cmdTimeout, d.client.SSH("-O", "exit", "demo-cm"))
	if !harness.WaitPidGone(pid, 3*time.Second) {
		r.Logf("ControlMaster master (pid %d) still running 3 s after ssh -O exit; killing it", pid)
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Kill()
		}
	}
}
