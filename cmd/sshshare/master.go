package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/sshshare/sshshare/share"
	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/invoke"
	"github.com/sshshare/sshshare/share/sysio"
	"github.com/sshshare/sshshare/share/upstream"
)

// MasterCmd is the detached master an invocation starts. Hidden: users
// start masters with `sshshare start` or by running ssh.
type MasterCmd struct {
	TargetFlags
	Socket string `required:"" help:"Socket path to publish."`
	Mode   string `default:"share" enum:"share,tunnel" help:"What the master is started for (shown by status)."`
	// MuxSocket is the mux socket the invocation computed (see
	// TargetFlags.muxSocket).
	MuxSocket string `name:"mux-socket" help:"Mux socket path to publish once logged in."`
	// MuxView is the key of the master's view, and MuxAlias and
	// MuxConfig the ProxyCommand line's own --alias and -F: each mux
	// client's view is built from them and its command line, and must
	// have the same key (see muxClientCheck).
	MuxView   string `name:"mux-view" help:"The key of the master's view, which mux clients must match."`
	MuxAlias  string `name:"mux-alias" help:"The ProxyCommand line's --alias when it is not %n, for mux clients' views."`
	MuxConfig string `name:"mux-config" help:"The ProxyCommand line's -F, for mux clients' views."`
	// The invoking ssh's command line, as the invocation read it.
	SSHOptions       []string `name:"ssh-option" sep:"none" help:"An option of the invoking ssh's command line that shapes the upstream, for ssh -G (repeatable)."`
	SSHOptionsUnread string   `name:"ssh-options-unread" help:"Why the invoking ssh's command line could not be read (shown by status)."`
}

// Run starts the master, reports readiness to the invocation that spawned
// it, and serves until it exits.
func (c MasterCmd) Run() error {
	hardened := sysio.HardenProcess() // before any secret is in memory
	catchHangups()
	tuneRuntime()
	report := share.NewReadyPipe(readyFile())
	gotEnv, err := commandEnv() // before it runs anything
	if err != nil {
		report.Report(err)
		return err
	}
	if err := c.absolute(); err != nil {
		report.Report(err)
		return err
	}
	os.Setenv(masterSocketEnv, c.Socket) // see notOwnUpstream
	// The target too, for an sshshare the OpenSSH engine's ssh runs (see
	// notOwnEngine).
	os.Setenv(masterTargetEnv, c.targetKey())
	log, closeLog, err := openMasterLog(c.Socket)
	if err != nil {
		report.Report(err)
		return err
	}
	defer closeLog()
	logHardening(log, hardened)
	if !gotEnv {
		log.Warn("no environment from ssh (an older sshshare started this master, or it was started by hand): its commands run with the master's own")
	}
	if stop := startProfile(log); stop != nil {
		defer stop()
	}
	m, err := c.start(log)
	if err != nil {
		report.Report(err)
	} else {
		report.Report(nil, m.Warnings()...)
	}
	if err != nil {
		log.Error("master start", "err", err)
		return err
	}
	go func() {
		<-m.Login().Done()
		report.Report(m.Login().Err(), m.LoginNotes()...)
		report.Close()
	}()
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		m.Stop(false)
	}()
	return m.Serve()
}

// absolute makes the socket and config paths absolute and moves the
// master out of the directory the first ssh ran in (sysio.LeaveWorkDir):
// relative paths met later resolve against that directory.
func (c *MasterCmd) absolute() error {
	var err error
	if c.Socket, err = filepath.Abs(c.Socket); err != nil {
		return fmt.Errorf("socket path: %w", err)
	}
	if c.ConfigFile != "" {
		if c.ConfigFile, err = filepath.Abs(c.ConfigFile); err != nil {
			return fmt.Errorf("config path: %w", err)
		}
	}
	return sysio.LeaveWorkDir()
}

// logHardening logs what protects the master's secrets, and what does
// not: a failed HardenProcess, or freed memory that is not cleared (a
// master not started by an invocation, see invoke.MasterEnv).
func logHardening(log *slog.Logger, hardened error) {
	if hardened != nil {
		log.Warn("process not hardened: the same user may read its memory", "err", hardened)
	}
	if !invoke.ClearsFreedMemory(os.Getenv("GODEBUG")) {
		log.Info("freed memory is not cleared: answers and keys of the login stay in it until reused", "want", "GODEBUG="+invoke.ClobberFree)
	}
}

// catchHangups makes SIGHUP and SIGPIPE harmless to the master: the
// terminal it was started from may go, and a peer may close a pipe.
// They are caught and dropped, not ignored: an ignored signal stays
// ignored in every command the master runs (ProxyCommand, ssh -G,
// KnownHostsCommand), so the SIGHUP that ends a ProxyCommand would do
// nothing, and ssh gives its ProxyCommand SIGPIPE as default; a caught
// one is reset to default by exec.
func catchHangups() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP, syscall.SIGPIPE)
	go func() {
		for range sig {
		}
	}()
}

// start builds the master's config and starts it.
func (c MasterCmd) start(log *slog.Logger) (*share.Master, error) {
	target, err := c.target()
	if err != nil {
		return nil, err
	}
	dir, err := stateDir()
	if err != nil {
		return nil, err
	}
	self, _ := os.Executable()
	cfg := share.MasterConfig{
		Self:   self,
		Target: target, Via: c.Via, Mode: c.Mode, Socket: c.Socket, MuxSocket: c.MuxSocket, Persist: c.Persist, Build: buildVersion(),
		Loader:     c.loader(c.SSHOptions),
		SSHOptions: c.SSHOptions, SSHOptionsUnread: c.SSHOptionsUnread,
		StateDir: dir, Log: log, AuthSock: os.Getenv("SSH_AUTH_SOCK"),
		Shell: os.Getenv("SHELL"), Jump: c.jump(log), KeepOrphans: c.KeepOrphans,
	}
	if f := lentStderr(); f != nil {
		cfg.Stderr = f
	}
	if c.MuxSocket != "" {
		cfg.MuxClientView = c.muxClientView
	}
	if c.Via != "" {
		if cfg.Dial, err = c.dialVia(log); err != nil {
			return nil, err
		}
	}
	cfg.Tunnel = func(via string) string { return c.tunnelCommand(self, via) }
	return share.StartMaster(context.Background(), cfg)
}

// dialVia connects this master's upstream through the masters of its own
// jump hosts. A detached master has no terminal: the hops before it were
// brought up (and asked their questions) by the invocation.
func (c MasterCmd) dialVia(log *slog.Logger) (func(context.Context, string, int) (net.Conn, error), error) {
	chain, err := c.chain(log)
	if err != nil {
		return nil, err
	}
	chain.Detached()
	return chain.Dial, nil
}

// jump dials through the masters of a ProxyJump's hosts, as dialVia
// does for --via: the invocation brought them up (and asked their
// questions) before it spawned this master.
func (c MasterCmd) jump(log *slog.Logger) func(context.Context, []upstream.Target, string, int) (net.Conn, error) {
	return func(ctx context.Context, hops []upstream.Target, host string, port int) (net.Conn, error) {
		chain, err := c.jumpChain(log, hops)
		if err != nil {
			return nil, err
		}
		chain.Detached()
		return chain.Dial(ctx, host, port)
	}
}

// tuneRuntime trades memory for CPU in bulk transfers and keeps the
// scheduler from waking idle threads for every packet, unless GOGC,
// GOMEMLIMIT or GOMAXPROCS say otherwise.
//
// x/crypto/ssh allocates every packet afresh, so a transfer makes garbage
// at its own rate, and a collection every few megabytes cost about a tenth
// of the master's CPU. The memory limit keeps a master with many sessions
// within bounds.
//
// A master relays packets from goroutine to goroutine (reader, mux,
// bridge, writer), each hand-off too small to be worth another core: with
// a processor per core the runtime keeps waking idle threads to take them,
// and 300 MB cost the master a third more CPU than with one processor
// (docs/performance.md). ControlMaster is single-threaded too. Large
// machines keep a processor per four cores for many busy clients.
func tuneRuntime() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(32 << 20)
	}
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(max(1, runtime.NumCPU()/4))
	}
}

// profileEnv names a file to write the master's CPU profile to (pprof),
// for performance work.
const profileEnv = "SSHSHARE_CPUPROFILE"

// startProfile starts CPU profiling when profileEnv is set.
func startProfile(log *slog.Logger) func() {
	path := os.Getenv(profileEnv)
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		log.Warn("cpu profile", "err", err)
		return nil
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// openMasterLog opens the log file beside the socket.
func openMasterLog(socket string) (*slog.Logger, func(), error) {
	if err := sysio.EnsurePrivateDir(filepath.Dir(socket)); err != nil {
		return nil, nil, err
	}
	f, err := share.OpenLogFile(control.LogPath(socket), share.MaxLogSize)
	if err != nil {
		return nil, nil, fmt.Errorf("open master log: %w", err)
	}
	if err := f.CaptureStderr(); err != nil {
		f.Close()
		return nil, nil, err
	}
	log := slog.New(slog.NewTextHandler(f, nil)).With("pid", os.Getpid())
	return log, func() { f.Close() }, nil
}

// readyFile is the pipe an invocation that spawned this master reads its
// reports from (see control.ReadyFDEnv), or nil for a master started
// otherwise. The variable is unset: not for ssh -G or anything else the
// master runs.
func readyFile() *os.File {
	fd, ok := sysio.HandedFD(os.Getenv(control.ReadyFDEnv), 3)
	if !ok {
		return nil
	}
	os.Unsetenv(control.ReadyFDEnv)
	return sysio.InheritedFile(fd, "ready")
}

// lentStderr is the stderr of the ssh that started this master, when its
// invocation lent it for the login (see control.StderrFDEnv), or nil.
func lentStderr() *os.File {
	fd, ok := sysio.HandedFD(os.Getenv(control.StderrFDEnv), 4)
	if !ok {
		return nil
	}
	os.Unsetenv(control.StderrFDEnv)
	return sysio.InheritedFile(fd, "stderr")
}

// envWait bounds how long a master waits for its invocation's
// environment, which is written as soon as the master has started.
const envWait = 30 * time.Second

// commandEnv sets, for the commands this master runs, the whole
// environment of the ssh that started it, which its invocation wrote on
// the pipe control.EnvFDEnv names (see invoke.MasterEnv), and reports
// whether there was one. A master started otherwise runs them with its
// own.
func commandEnv() (bool, error) {
	v := os.Getenv(control.EnvFDEnv)
	if v == "" {
		return false, nil
	}
	os.Unsetenv(control.EnvFDEnv)
	fd, ok := sysio.HandedFD(v, 0)
	if !ok {
		return false, fmt.Errorf("%s=%q: not a descriptor", control.EnvFDEnv, v)
	}
	f := sysio.InheritedPipe(fd, "environ")
	defer f.Close()
	f.SetReadDeadline(time.Now().Add(envWait)) // none on a pipe that cannot take one
	environ, err := invoke.ReadEnviron(f)
	if err != nil {
		return false, fmt.Errorf("environment of ssh: %w", err)
	}
	for _, kv := range invoke.CommandEnv(environ) {
		if err := os.Setenv(kv[0], kv[1]); err != nil {
			return false, fmt.Errorf("environment of ssh: %w", err)
		}
	}
	return true, nil
}

// muxClientView reads a mux client's ssh command line. A client whose
// options that shape the upstream (-i, -o User=..., -F, another alias)
// make a view other than the master's is refused: they would pick another
// master on the ProxyCommand door, and the mux socket cannot tell them
// apart; ssh falls back to its ProxyCommand, which finds the right
// master. A client whose command line cannot be read (another OS, another
// pid namespace) is let in, as OpenSSH's ControlMaster lets every client
// in.
func (c MasterCmd) muxClientView(pid int) share.MuxClient {
	argv, err := sysio.ProcessArgs(pid)
	if err != nil {
		return share.MuxClient{}
	}
	cwd, _ := sysio.ProcessDir(pid)
	cl, err := sshCommandLine(argv, cwd, "the mux client")
	if err != nil {
		return share.MuxClient{}
	}
	client := share.MuxClient{NoSession: cl.NoSession, ForwardAgent: cl.ForwardAgent,
		Getenv: func(name string) (string, bool, error) { return sysio.ProcessEnv(pid, name) }}
	f := c.TargetFlags
	f.Alias, f.ConfigFile, f.view = c.MuxAlias, c.MuxConfig, upstream.CommandLine{}
	if view := f.applyView(cl); view.viewKey() != c.MuxView {
		client.Refusal = fmt.Errorf("this ssh's options or host alias make another view of %s than the master's", f.Host)
		client.Stop = view.stopMaster
	}
	return client
}

// stopMaster stops the master of the flags' view, at once or, with drain,
// once its clients have left: ssh -O stop or -O exit from a mux client of
// that view, which found another view's mux socket.
func (f TargetFlags) stopMaster(drain bool) error {
	socket, err := f.socket()
	if err != nil {
		return fmt.Errorf("the view's socket: %w", err)
	}
	dir, err := stateDir()
	if err != nil {
		return err
	}
	if _, err := control.Query(dir, socket, control.Hello{Op: control.OpStop, Drain: drain}); err != nil {
		return fmt.Errorf("stop %s: %w", socket, err)
	}
	return nil
}
