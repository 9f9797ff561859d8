package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/sshshare/sshshare/share"
)

// MasterCmd is the detached master an invocation starts. Hidden: users
// start masters with `sshshare start` or by running ssh.
type MasterCmd struct {
	TargetFlags
	Socket string `required:"" help:"Socket path to publish."`
}

// Run starts the master, reports readiness to the invocation that spawned
// it, and serves until it exits.
func (c MasterCmd) Run() error {
	signal.Ignore(syscall.SIGHUP, syscall.SIGPIPE)
	report := share.OpenReadyPipe()
	log, closeLog, err := openMasterLog(c.Socket)
	if err != nil {
		report.Report(err)
		return err
	}
	defer closeLog()
	m, err := c.start(log)
	report.Report(err)
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

// start builds the master's config and starts it.
func (c MasterCmd) start(log *slog.Logger) (*share.Master, error) {
	target, err := c.target()
	if err != nil {
		return nil, err
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return nil, fmt.Errorf("find home directory: %w", err)
	}
	return share.StartMaster(context.Background(), share.MasterConfig{
		Target: target, Socket: c.Socket, Persist: c.Persist,
		Loader:   share.ConfigLoader{ConfigFile: c.ConfigFile},
		StateDir: share.StateDir(home), Log: log,
	})
}

// openMasterLog opens the log file beside the socket.
func openMasterLog(socket string) (*slog.Logger, func(), error) {
	if err := share.EnsurePrivateDir(filepath.Dir(socket)); err != nil {
		return nil, nil, err
	}
	f, err := share.OpenLogFile(share.LogPath(socket), share.MaxLogSize)
	if err != nil {
		return nil, nil, fmt.Errorf("open master log: %w", err)
	}
	log := slog.New(slog.NewTextHandler(f, nil)).With("pid", os.Getpid())
	return log, func() { f.Close() }, nil
}
