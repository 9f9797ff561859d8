package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/vis"
)

// StopCmd stops masters, like ssh -O exit (or -O stop with --drain).
type StopCmd struct {
	Target string `arg:"" optional:"" help:"HOST, the host alias you typed, or user@host:port of the master to stop."`
	All    bool   `help:"Stop every master."`
	Drain  bool   `help:"Refuse new clients and exit when the last one leaves, instead of closing now."`
}

// Run sends stop to each matching master.
func (c StopCmd) Run(stdout io.Writer, stderr stderrWriter) error {
	if c.All == (c.Target != "") {
		return errors.New("stop: name one master (HOST or user@host:port) or --all")
	}
	stateDir, err := stateDir()
	if err != nil {
		return err
	}
	stopped := 0
	for _, s := range queryAll(stateDir, stderr) {
		if !c.All && !matchesTarget(s.Target, c.Target) && s.Alias != c.Target {
			continue
		}
		if _, err := control.Query(stateDir, s.Socket, control.Hello{Op: control.OpStop, Drain: c.Drain}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "stopped %s (pid %d)\n", vis.Line(s.Target), s.Pid)
		stopped++
	}
	if stopped == 0 && !c.All {
		return fmt.Errorf("stop: no master for %s", c.Target)
	}
	return nil
}

// matchesTarget reports whether want (HOST, user@host, host:port or
// user@host:port) names the master for target (user@host:port).
func matchesTarget(target, want string) bool {
	if target == want {
		return true
	}
	user, hostPort, _ := strings.Cut(target, "@")
	host, _, _ := strings.Cut(hostPort, ":")
	host = strings.Trim(host, "[]")
	return want == host || want == user+"@"+host || want == hostPort
}
