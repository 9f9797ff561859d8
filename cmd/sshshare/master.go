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

	"github.com/sshshare/sshshare/share"
	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/sysio"
	"github.com/sshshare/sshshare/share/upstream"
)

// MasterCmd is the detached master an invocation starts. Hidden: users
// start masters with `sshshare start` or by running ssh.
type MasterCmd struct {
	TargetFlags
	Socket string `required:"" help:"Socket path to publish."`
	Mode   string `default:"share" enum:"share,tunnel" help:"What the master is started for (shown by status)."`
	// The invoking ssh's command line, as the invocation read it.
	SSHOptions       []string `name:"ssh-option" sep:"none" help:"An option of the invoking ssh's command line that shapes the upstream, for ssh -G (repeatable)."`
	SSHOptionsUnread string   `name:"ssh-options-unread" help:"Why the invoking ssh's command line could not be read (shown by status)."`
}

// Run starts the master, reports readiness to the invocation that spawned
// it, and serves until it exits.
func (c MasterCmd) Run() error {
	catchHangups()
	tuneRuntime()
	os.Setenv(masterSocketEnv, c.Socket) // see notOwnUpstream
	report := share.NewReadyPipe(readyFile())
	log, closeLog, err := openMasterLog(c.Socket)
	if err != nil {
		report.Report(err)
		return err
	}
	defer closeLog()
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
		report.Report(m.Login().Err())
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
	cfg := share.MasterConfig{
		Target: target, Via: c.Via, Mode: c.Mode, Socket: c.Socket, Persist: c.Persist, Build: buildVersion(),
		Loader:     c.loader(c.SSHOptions),
		SSHOptions: c.SSHOptions, SSHOptionsUnread: c.SSHOptionsUnread,
		StateDir: dir, Log: log, AuthSock: os.Getenv("SSH_AUTH_SOCK"),
		Shell: os.Getenv("SHELL"), Jump: c.jump(log), KeepOrphans: c.KeepOrphans,
	}
	if f := lentStderr(); f != nil {
		cfg.Stderr = f
	}
	if c.Via != "" {
		if cfg.Dial, err = c.dialVia(log); err != nil {
			return nil, err
		}
	}
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
	log := slog.New(slog.NewTextHandler(f, nil)).With("pid", os.Getpid())
	return log, func() { f.Close() }, nil
}

// readyFile is the pipe an invocation that spawned this master reads its
// reports from (see control.ReadyFDEnv), or nil for a master started
// otherwise. The variable is unset: not for ssh -G or anything else the
// master runs.
func readyFile() *os.File {
	if os.Getenv(control.ReadyFDEnv) != "3" {
		return nil
	}
	os.Unsetenv(control.ReadyFDEnv)
	return sysio.InheritedFile(3, "ready")
}

// lentStderr is the stderr of the ssh that started this master, when its
// invocation lent it for the login (see control.StderrFDEnv), or nil.
func lentStderr() *os.File {
	if os.Getenv(control.StderrFDEnv) != "4" {
		return nil
	}
	os.Unsetenv(control.StderrFDEnv)
	return sysio.InheritedFile(4, "stderr")
}
