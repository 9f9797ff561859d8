// Command demo shows sshshare's main job on a throwaway local sshd: the
// first `ssh demo whoami` logs in, the next ones ride on that login and
// take a fraction of the time, through either of sshshare's doors (the
// mux door, which stock ssh speaks in-process, and the ProxyCommand),
// with OpenSSH's ControlMaster and plain ssh beside them. It is `make
// demo`, the README's first command:
//
//	go run ./integration/demo [-sshshare bin/sshshare] [-rtt 50ms] [-warm 5]
//
// Everything it starts (an sshd on 127.0.0.1, a relay that adds network
// delay, the sshshare and ControlMaster masters) is stopped before it exits, Ctrl-C
// included, and its temporary HOME and keys are removed. Without sshd it
// installs openssh-server when it runs as root with apt-get, and otherwise
// prints the command that does.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// installCommand installs sshd on Debian and Ubuntu.
const installCommand = "sudo apt-get install -y openssh-server"

// cmdTimeout bounds one ssh.
const cmdTimeout = time.Minute

// exitInterrupted is the shell's code for a process ended by SIGINT.
const exitInterrupted = 130

func main() {
	bin := flag.String("sshshare", "", "The sshshare binary to demonstrate (make demo passes bin/sshshare); empty builds one.")
	rtt := flag.Duration("rtt", 50*time.Millisecond, "Round-trip time the relay adds between ssh and sshd.")
	warm := flag.Int("warm", 5, "Warm runs after the cold one.")
	flag.Parse()
	if !haveOpenSSH() {
		os.Exit(1)
	}
	d := &demo{bin: *bin, rtt: *rtt, warm: *warm}
	d.watchSignals()
	code := d.run()
	d.runner.Close()
	if left := d.checkNothingLeft(); code == 0 {
		code = left
	}
	os.Exit(code)
}

// demo is one run: its processes, all registered with runner.
type demo struct {
	bin  string
	rtt  time.Duration
	warm int

	runner      harness.Runner
	interrupted atomic.Bool
	sshd        *harness.SSHD
	relay       *harness.Relay
	client      *harness.Client
	scratch     string    // ssh's output files, ControlMaster's socket
	outcomes    []outcome // each round's figures, for the summary
}

// watchSignals notes Ctrl-C (and SIGTERM). The demo stops at the next
// step and runs its cleanups on the main goroutine, where the harness
// expects them; the processes it started are in their own process groups,
// so the terminal's SIGINT does not reach them.
func (d *demo) watchSignals() {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		for range ch {
			if !d.interrupted.Swap(true) {
				fmt.Fprintln(os.Stderr, "\ninterrupted: stopping the master, sshd and the relay...")
			}
		}
	}()
}

// run sets up, runs the rounds, prints the summary and stops the
// masters. It returns the exit code; the caller closes the runner.
func (d *demo) run() int {
	d.runner.Out = os.Stderr
	fmt.Printf(`sshshare demo: how long does "ssh HOST whoami" take, and how many times does sshd see a login?

The seed article timed "time ssh root@10.5.1.2 whoami" with OpenSSH's own
connection sharing (ControlMaster): %s the first time (cold: a full
handshake and login) and %s after that (warm: the login is reused), %s
faster. sshshare does the same with a detached master that ssh reaches
through two front doors: its ProxyCommand (every cold start, and warm ones
when nothing else is set up), and a mux door that stock ssh speaks
in-process, as it would to a ControlMaster, when the Host block also names
the master's socket as its ControlPath. Here both run against a throwaway
sshd on this machine, %s of round-trip time away, with ControlMaster and
plain ssh beside them.

`, secs(seedCold), secs(seedWarm), factor(seedCold, seedWarm), millis(d.rtt))
	steps := []func(){d.setUp, d.roundMux, d.roundProxy, d.roundControlMaster, d.roundPlain, d.summary, d.stopMasters}
	for _, step := range steps {
		if d.interrupted.Load() {
			return exitInterrupted
		}
		step()
	}
	if d.interrupted.Load() {
		return exitInterrupted
	}
	return 0
}

// setUp starts sshd and the relay and writes the client's ssh config.
func (d *demo) setUp() {
	r := &d.runner
	if d.bin == "" {
		fmt.Println("Building sshshare...")
		d.bin = harness.Binary(r)
		r.Cleanup(harness.RemoveBinary)
	} else if abs, err := filepath.Abs(d.bin); err == nil {
		d.bin = abs
	}
	if _, err := os.Stat(d.bin); err != nil {
		r.Fatalf("sshshare binary: %v (run make build first)", err)
	}
	d.scratch = r.TempDir()
	// SHLVL=1 makes bash skip ~/.bashrc for the command, so the times are
	// ssh's and not those of whatever the user's .bashrc runs.
	d.sshd = harness.StartSSHD(r, harness.SSHDOptions{Extra: "SetEnv SHLVL=1"})
	d.relay = harness.NewRelay(r, d.sshd.Addr(), d.rtt/2)
	d.client = harness.NewClient(r, d.sshd)
	port := "Port " + strconv.Itoa(d.relay.Port())
	d.client.AddMuxHost("demo", d.bin, port)
	d.client.AddShareHost("demo-proxy", d.bin, port)
	d.client.AddHost("demo-cm", port, "ControlMaster auto", "ControlPath "+d.scratch+"/cm-%C", "ControlPersist 60")
	r.Cleanup(d.stopControlMaster)
	d.client.AddHost("demo-plain", port)
	fmt.Printf(`Set up, all on 127.0.0.1 and removed at the end:
  sshd   %s: a throwaway OpenSSH server with its own host key, which
         lets this user log in with a throwaway key (and sets SHLVL=1, so
         that bash skips ~/.bashrc: the times are ssh's, not your shell's)
  relay  %s -> sshd, delaying each direction by %s (%s round trip),
         like a server a few thousand kilometres away
  HOME   %s, a temporary home whose ~/.ssh/config has

%s

         and three more Host blocks for the same server:
           demo-proxy  sshshare's ProxyCommand door alone: the block
                       above without ControlPath and ControlMaster
           demo-cm     OpenSSH's ControlMaster auto, ControlPath and
                       ControlPersist 60, as in the seed article
           demo-plain  no sharing at all

`, d.sshd.Addr(), d.relay.Addr(), millis(d.rtt/2), millis(d.rtt), d.client.Home, d.hostBlock("demo"))
}

// hostBlock returns the Host block for alias from the client's config,
// indented.
func (d *demo) hostBlock(alias string) string {
	b, err := os.ReadFile(d.client.ConfigPath)
	if err != nil {
		d.runner.Fatalf("read ssh config: %v", err)
	}
	var out []string
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.EqualFold(f[0], "Host") {
			in = slices.Equal(f[1:], []string{alias})
		}
		if in && strings.TrimSpace(line) != "" {
			out = append(out, "           "+line)
		}
	}
	return strings.Join(out, "\n")
}

// ssh runs ssh host args and returns how long it took, as `time` in a
// shell would report it, and its output. ssh's output goes to files, so
// the time is ssh's own exit, not the last holder of a pipe closing.
func (d *demo) ssh(host string, args ...string) (time.Duration, string) {
	r := &d.runner
	out, errOut := filepath.Join(d.scratch, "out"), filepath.Join(d.scratch, "err")
	cmd := d.client.SSH(append([]string{host}, args...)...)
	cmd.Stdout, cmd.Stderr = create(r, out), create(r, errOut)
	start := time.Now()
	p := harness.Start(r, cmd)
	cmd.Stdout.(*os.File).Close()
	cmd.Stderr.(*os.File).Close()
	code := p.Wait(r, cmdTimeout)
	elapsed := time.Since(start)
	p.Kill() // reaps what ssh left in its group: its ProxyCommand, on its way out
	stdout, _ := os.ReadFile(out)
	stderr, _ := os.ReadFile(errOut)
	if code != 0 {
		r.Fatalf("ssh %s %s: exit %d\n%s", host, strings.Join(args, " "), code, stderr)
	}
	return elapsed, strings.TrimSpace(string(stdout))
}

func create(r *harness.Runner, path string) *os.File {
	f, err := os.Create(path)
	if err != nil {
		r.Fatalf("create %s: %v", path, err)
	}
	return f
}

// stopMasters stops sshshare's master and ControlMaster's the way a user
// would and checks that their processes are gone.
func (d *demo) stopMasters() {
	masters := d.client.Masters(d.bin)
	d.client.StopMasters(d.bin) // sshshare stop --all, then waits for each pid
	for _, m := range masters {
		fmt.Printf("Stopped: sshshare master for %s (pid %d), with sshshare stop --all.\n", m.Target, m.Pid)
	}
	d.stopControlMaster()
	fmt.Println("Stopped: ControlMaster's master, with ssh -O exit demo-cm.")
}

// checkNothingLeft reports, after the cleanups, any process of the demo
// still running: one whose command line names the client's HOME or
// sshd's directory.
func (d *demo) checkNothingLeft() int {
	if d.client == nil {
		return 0
	}
	left := processesMentioning(d.client.Home, d.sshd.Dir, d.scratch)
	if len(left) > 0 {
		fmt.Fprintf(os.Stderr, "demo: processes left running: %v\n", left)
		return 1
	}
	if d.interrupted.Load() {
		fmt.Println("Stopped the master, sshd and the relay; temporary HOME and keys removed. Nothing left running.")
	} else {
		fmt.Println("Stopped: sshd and the relay; temporary HOME and keys removed. Nothing left running.")
	}
	return 0
}

// haveOpenSSH checks for sshd and ssh, installing openssh-server with
// apt-get when running as root, or printing the command that does.
func haveOpenSSH() bool {
	if openSSHInstalled() {
		return true
	}
	_, aptErr := exec.LookPath("apt-get")
	if os.Geteuid() != 0 || aptErr != nil {
		fmt.Fprintf(os.Stderr, "demo: the OpenSSH server (sshd) is not installed. Install it with:\n\n    %s\n\nthen run make demo again.\n", installCommand)
		return false
	}
	fmt.Println("The OpenSSH server (sshd) is not installed; installing it: apt-get install -y openssh-server")
	if apt("install", "-y", "openssh-server") != nil {
		fmt.Println("Installing failed; refreshing the package lists (apt-get update) and trying again.")
		if apt("update") != nil || apt("install", "-y", "openssh-server") != nil {
			fmt.Fprintln(os.Stderr, "demo: apt-get install -y openssh-server failed")
			return false
		}
	}
	if !openSSHInstalled() {
		fmt.Fprintln(os.Stderr, "demo: openssh-server is installed but sshd or ssh is still not found")
		return false
	}
	fmt.Println()
	return true
}

// openSSHInstalled reports whether sshd and ssh are both there, looking
// for sshd where the harness does.
func openSSHInstalled() bool {
	_, err := os.Stat("/usr/sbin/sshd")
	if err != nil {
		_, err = exec.LookPath("sshd")
	}
	_, sshErr := exec.LookPath("ssh")
	return err == nil && sshErr == nil
}

// apt runs apt-get non-interactively with its output on the terminal.
func apt(args ...string) error {
	cmd := exec.Command("apt-get", args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}

// logins is "1 login" or "N logins".
func logins(n int) string {
	if n == 1 {
		return "1 login"
	}
	return fmt.Sprintf("%d logins", n)
}

// millis formats a duration in milliseconds: "50 ms".
func millis(d time.Duration) string { return fmt.Sprintf("%g ms", float64(d)/1e6) }

// secs formats a duration as the seed article does: "0.637 s".
func secs(d time.Duration) string { return fmt.Sprintf("%.3f s", d.Seconds()) }

// median returns the middle value (the mean of the two middle ones).
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}
