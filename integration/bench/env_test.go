//go:build linux

package bench

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// cmdTimeout bounds one client command; a bulk transfer is the longest.
const cmdTimeout = 2 * time.Minute

// quietShell is sshd_config that keeps the remote shell's start-up out of
// the figures: bash, run by sshd for a command, sources ~/.bashrc unless
// SHLVL says it is nested, and a .bashrc can cost more than the whole
// connection (pyenv init takes ~0.3 s here). It costs every method alike
// either way; without it the differences drown.
const quietShell = "SetEnv SHLVL=1"

// env is one throwaway sshd and one ssh client with its own HOME that
// reaches it four ways at one round-trip time: through sshshare's mux
// door, through its ProxyCommand door (both riding one master), through
// OpenSSH's ControlMaster, and plainly. Each benchmark makes its own, so
// login counts and processes never mix between benchmarks.
type env struct {
	b      *testing.B
	rtt    time.Duration
	sshd   *harness.SSHD
	client *harness.Client
	bin    string   // the sshshare binary
	dir    string   // short scratch directory: output files, ControlPath
	cpu    cpuTimes // when the environment was set up, for the steal of its samples
	route  []string // ssh config lines that reach sshd through the relay

	mux, share, cm, plain method
	methods               []method // the round-robin order: mux, share, cm, plain by default
}

// newEnv starts the sshd, with a relay adding rtt when rtt > 0, and sets
// up the three hosts. Cleanups stop every master, fail the benchmark if a
// client-side process survives, and then stop sshd.
func newEnv(b *testing.B, rtt time.Duration, opts harness.SSHDOptions) *env {
	b.Helper()
	opts.Extra += "\n" + quietShell
	e := &env{b: b, rtt: rtt, bin: harness.Binary(b), cpu: readCPUTimes()}
	e.sshd = harness.StartSSHD(b, opts)
	e.client = harness.NewClient(b, e.sshd)
	e.dir = shortTempDir(b)
	if rtt > 0 {
		relay := harness.NewRelay(b, e.sshd.Addr(), rtt/2)
		e.route = []string{"Port " + strconv.Itoa(relay.Port())}
	}
	// Registered before the hosts, so it runs after their cleanups.
	b.Cleanup(e.checkLeftovers)
	e.mux = newMux(e, e.route)
	e.share = newShare(e, e.route)
	e.cm = newControlMaster(e, e.route)
	e.plain = newPlain(e, e.route)
	e.methods = []method{e.mux, e.share, e.cm, e.plain}
	return e
}

// shortTempDir makes a temporary directory with a short path: ssh refuses
// a ControlPath (plus its 17-byte temporary suffix) longer than a Unix
// socket address, and b.TempDir's names are long.
func shortTempDir(b *testing.B) string {
	b.Helper()
	dir, err := os.MkdirTemp("", "bench-")
	if err != nil {
		b.Fatalf("temp dir: %v", err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// checkLeftovers fails the benchmark if any process of this client (ssh,
// a ControlMaster master, an sshshare invocation or master) still runs,
// and kills it.
func (e *env) checkLeftovers() {
	pids := procsMentioning(e.client.Home)
	if len(pids) == 0 {
		return
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	e.b.Errorf("processes left running after the benchmark (killed): %v", pids)
}

// method is one way of running ssh against the env's sshd.
type method interface {
	// Name is how tables show the method.
	Name() string
	// Key names the method in metric units: sshshare-mux, sshshare,
	// controlmaster, plain.
	Key() string
	// Host is the ssh host alias that uses the method.
	Host() string
	// Masters returns the pids of the method's masters running now.
	Masters() []int
	// Stop ends every master of the method, so the next ssh is cold, and
	// makes sure their processes are gone.
	Stop()
}

// sshshareMasters handles the sshshare masters of one Host block.
// sshshare keys a master by the invoking ssh's view, its alias included,
// so each Host block gets a master of its own; an empty alias stands for
// every master of the client.
type sshshareMasters struct {
	e     *env
	alias string
}

// statuses is `sshshare status --json` for the block's masters.
func (m sshshareMasters) statuses() []harness.MasterStatus {
	var out []harness.MasterStatus
	for _, s := range m.e.client.Masters(m.e.bin) {
		if m.alias == "" || s.Alias == m.alias {
			out = append(out, s)
		}
	}
	return out
}

func (m sshshareMasters) Masters() []int {
	var pids []int
	for _, s := range m.statuses() {
		pids = append(pids, s.Pid)
	}
	return pids
}

// Stop runs sshshare stop --all and waits for the masters to exit: it
// makes every sshshare method cold, this one among them.
func (m sshshareMasters) Stop() { m.e.client.StopMasters(m.e.bin) }

// statuser is a method with sshshare masters.
type statuser interface {
	statuses() []harness.MasterStatus
}

// shareMethod connects through sshshare's ProxyCommand door, as the
// README set it up before the mux door: ProxyCommand, and
// ~/.ssh/sshshare/known_hosts in GlobalKnownHostsFile.
type shareMethod struct{ sshshareMasters }

func newShare(e *env, route []string) method {
	e.client.AddShareHost("share", e.bin, route...)
	return shareMethod{sshshareMasters{e, "share"}}
}

func (shareMethod) Name() string { return "sshshare (ProxyCommand door)" }
func (shareMethod) Key() string  { return "sshshare" }
func (shareMethod) Host() string { return "share" }

// shareCommandMethod connects through sshshare set up with
// `KnownHostsCommand /path/to/sshshare known-hosts %H` instead of the
// known_hosts file (docs/setup.md): ssh runs it twice per connection. Its
// Host block has a master of its own.
type shareCommandMethod struct{ sshshareMasters }

func newShareCommand(e *env, route []string) method {
	lines := append([]string{"KnownHostsCommand " + e.bin + " known-hosts %H",
		"GlobalKnownHostsFile /etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2"}, route...)
	e.client.AddShareHost("share-command", e.bin, lines...)
	return shareCommandMethod{sshshareMasters{e, "share-command"}}
}

func (shareCommandMethod) Name() string { return "sshshare (ProxyCommand door), KnownHostsCommand" }
func (shareCommandMethod) Key() string  { return "sshshare-command" }
func (shareCommandMethod) Host() string { return "share-command" }

// cmMasters handles the ControlMaster master of one Host block (alias):
// ssh -O check to find it, ssh -O exit to stop it.
type cmMasters struct {
	e     *env
	alias string
}

// masterPid matches ssh -O check's answer.
var masterPid = regexp.MustCompile(`Master running \(pid=(\d+)\)`)

// Masters asks ssh -O check.
func (m cmMasters) Masters() []int {
	res := harness.Run(m.e.b, cmdTimeout, m.e.client.SSH("-O", "check", m.alias))
	if res.Code != 0 {
		return nil
	}
	match := masterPid.FindSubmatch(res.Stderr)
	if match == nil {
		m.e.b.Fatalf("ssh -O check %s: no pid in %s", m.alias, res)
	}
	pid, _ := strconv.Atoi(string(match[1]))
	return []int{pid}
}

// Stop runs ssh -O exit and waits for the master to exit.
func (m cmMasters) Stop() {
	for _, pid := range m.Masters() {
		res := harness.Run(m.e.b, cmdTimeout, m.e.client.SSH("-O", "exit", m.alias))
		if !waitGone(pid, 3*time.Second) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			m.e.b.Fatalf("ControlMaster master of %s (pid %d) still running 3s after ssh -O exit: %s", m.alias, pid, res)
		}
	}
}

// controlMaster is OpenSSH's own sharing as the seed article sets it up:
// ControlMaster auto, a ControlPath, ControlPersist.
type controlMaster struct{ cmMasters }

func newControlMaster(e *env, route []string) method {
	e.client.AddHost("cm", append(route,
		"ControlMaster auto",
		"ControlPath "+e.dir+"/cm-%C",
		"ControlPersist 60")...)
	m := controlMaster{cmMasters{e, "cm"}}
	e.b.Cleanup(m.Stop)
	return m
}

func (controlMaster) Name() string { return "ControlMaster" }
func (controlMaster) Key() string  { return "controlmaster" }
func (controlMaster) Host() string { return "cm" }

// plainSSH logs in afresh every time.
type plainSSH struct{}

func newPlain(e *env, route []string) method {
	e.client.AddHost("plain", route...)
	return plainSSH{}
}

func (plainSSH) Name() string   { return "plain ssh" }
func (plainSSH) Key() string    { return "plain" }
func (plainSSH) Host() string   { return "plain" }
func (plainSSH) Masters() []int { return nil }
func (plainSSH) Stop()          {}

// stopAll makes every method cold.
func (e *env) stopAll() {
	for _, m := range e.methods {
		m.Stop()
	}
}

// run is the outcome of one client command.
type run struct {
	elapsed time.Duration
	code    int
	stdout  string
	stderr  string
	cpu     time.Duration // user+system of the client and what it reaped
}

// ok reports whether the command exited 0.
func (r run) ok() bool { return r.code == 0 }

func (r run) String() string {
	return fmt.Sprintf("exit %d after %v, stderr %q", r.code, r.elapsed.Round(time.Millisecond), r.stderr)
}

// started is a client command under way, its output going to files.
type started struct {
	proc    *harness.Proc
	start   time.Time
	outPath string // "" when the caller set Stdout
	errPath string
}

// start starts cmd with stdout and stderr in files under e.dir named
// after tag (unless the caller set Stdout), so that its end is the
// client's own exit, not the last holder of a pipe closing.
func (e *env) start(cmd *exec.Cmd, tag string) *started {
	e.b.Helper()
	s := &started{errPath: e.dir + "/" + tag + ".err"}
	var files []*os.File
	if cmd.Stdout == nil {
		s.outPath = e.dir + "/" + tag + ".out"
		cmd.Stdout = e.create(s.outPath)
		files = append(files, cmd.Stdout.(*os.File))
	}
	cmd.Stderr = e.create(s.errPath)
	files = append(files, cmd.Stderr.(*os.File))
	s.start = time.Now()
	s.proc = harness.Start(e.b, cmd)
	for _, f := range files {
		f.Close() // the child has its own copies
	}
	return s
}

// create truncates or creates a file for a child's output.
func (e *env) create(path string) *os.File {
	f, err := os.Create(path)
	if err != nil {
		e.b.Fatalf("output file: %v", err)
	}
	return f
}

// wait waits for the client to exit, then kills whatever it left in its
// process group (an sshshare invocation that ssh has just sent SIGHUP).
func (e *env) wait(s *started) run {
	e.b.Helper()
	timer := time.NewTimer(cmdTimeout)
	defer timer.Stop()
	select {
	case <-s.proc.Done():
	case <-timer.C:
		s.proc.Kill()
		e.b.Fatalf("%s: still running after %v", s.proc.Cmd, cmdTimeout)
	}
	r := run{elapsed: time.Since(s.start), code: s.proc.ExitCode()}
	r.cpu = rusageCPU(s.proc.Cmd.ProcessState.SysUsage())
	s.proc.Kill()
	if s.outPath != "" {
		b, _ := os.ReadFile(s.outPath)
		r.stdout = string(b)
	}
	b, _ := os.ReadFile(s.errPath)
	r.stderr = strings.TrimSpace(string(b))
	return r
}

// time runs cmd to completion and measures it as `time` in a shell does.
func (e *env) time(cmd *exec.Cmd) run {
	e.b.Helper()
	return e.wait(e.start(cmd, "run"))
}

// ssh runs ssh to m's host and fails the benchmark if it does not exit 0.
func (e *env) ssh(m method, args ...string) run {
	e.b.Helper()
	r := e.time(e.client.SSH(append([]string{m.Host()}, args...)...))
	if !r.ok() {
		e.b.Fatalf("%s: ssh %s %s: %s", m.Name(), m.Host(), strings.Join(args, " "), r)
	}
	return r
}
