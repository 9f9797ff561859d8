package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/upstream"
	"github.com/sshshare/sshshare/share/vis"
)

// StatusCmd lists the running masters.
type StatusCmd struct {
	JSON bool `help:"Print a JSON array of objects instead of a table."`
}

// Run queries every registered master and prints one row each.
func (c StatusCmd) Run(stdout io.Writer, stderr stderrWriter) error {
	stateDir, err := stateDir()
	if err != nil {
		return err
	}
	statuses := queryAll(stateDir, stderr)
	if c.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(statuses)
	}
	return printStatusTable(stdout, statuses)
}

// queryAll asks every registered master for its status; stale sockets are
// cleaned and reported once on stderr.
func queryAll(stateDir string, stderr io.Writer) []*control.Status {
	sockets, err := control.RegisteredSockets(stateDir)
	if err != nil {
		fmt.Fprintf(stderr, "sshshare: %s\n", vis.Line(err.Error()))
	}
	statuses := []*control.Status{}
	for _, socket := range sockets {
		reply, err := control.Query(stateDir, socket, control.Hello{Op: control.OpStatus})
		switch {
		case err != nil:
			fmt.Fprintf(stderr, "sshshare: %s\n", vis.Line(err.Error()))
		case reply.Status != nil:
			statuses = append(statuses, reply.Status)
		}
	}
	return statuses
}

// printStatusTable prints statuses as an aligned table. What a master
// reports is escaped (see package vis): its last problem may quote a
// server.
func printStatusTable(w io.Writer, statuses []*control.Status) error {
	statuses = slices.Clone(statuses)
	for i, s := range statuses {
		statuses[i] = printable(s)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tALIAS\tMODE\tVIA\tPID\tVERSION\tAGE\tIDLE\tPERSIST LEFT\tCLIENTS\tCHANNELS\tTUNNELS\tUPSTREAMS\tIN\tOUT\tHEALTH\tIDENTITY\tSOCKET")
	for _, s := range statuses {
		left := "-"
		if s.Clients == 0 {
			left = seconds(s.PersistSeconds - s.IdleSeconds)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n",
			s.Target, dash(s.Alias), s.Mode, dash(s.Via), s.Pid, versionOf(s), time.Since(s.Started).Round(time.Second), seconds(s.IdleSeconds), left,
			s.Clients, s.Channels, s.Tunnels, s.Upstreams, s.BytesIn, s.BytesOut, health(s), dash(s.Identity), s.Socket)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range statuses {
		if len(s.SSHOptions) > 0 {
			fmt.Fprintf(w, "%s: ssh options: %s\n", s.Target, strings.Join(s.SSHOptions, " "))
		}
		if s.SSHOptionsUnread != "" {
			fmt.Fprintf(w, "%s: ssh's command line not read, the ssh config alone applies: %s\n", s.Target, s.SSHOptionsUnread)
		}
		if s.Engine == upstream.EngineOpenSSH {
			fmt.Fprintf(w, "%s: engine: openssh (ssh pids %s)\n", s.Target, joinInts(s.EnginePIDs))
		}
		if s.MuxSocket != "" {
			fmt.Fprintf(w, "%s: mux door: %s (%d sessions)\n", s.Target, s.MuxSocket, s.MuxSessions)
		}
		if s.LastError != "" {
			fmt.Fprintf(w, "%s: last problem: %s\n", s.Target, s.LastError)
		}
		printRiders(w, s)
	}
	return nil
}

// joinInts is a list of numbers, comma-separated, or "-".
func joinInts(ns []int) string {
	if len(ns) == 0 {
		return "-"
	}
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

// printRiders prints who rides a master, the forwards it holds and when
// it last healed: a line each.
func printRiders(w io.Writer, s *control.Status) {
	for _, r := range s.Riders {
		fmt.Fprintf(w, "%s: rider: pid %d %s door, for %s: %s\n", s.Target, r.Pid, r.Door,
			time.Since(r.Since).Round(time.Second), dash(r.Command))
	}
	for _, f := range s.ForwardsDetail {
		owner := f.Owner
		if f.OwnerPid != 0 {
			owner = fmt.Sprintf("%s pid %d", f.Owner, f.OwnerPid)
		}
		fmt.Fprintf(w, "%s: forward: %s (%s)\n", s.Target, f.Spec, owner)
	}
	if !s.LastHeal.IsZero() {
		fmt.Fprintf(w, "%s: last heal: %s (%s ago)\n", s.Target, s.LastHeal.Format(time.RFC3339), time.Since(s.LastHeal).Round(time.Second))
	}
}

// printable is a copy of s with the text fields the table shows escaped,
// each as one line.
func printable(s *control.Status) *control.Status {
	c := *s
	for _, f := range []*string{&c.Target, &c.Alias, &c.Mode, &c.Via, &c.Build, &c.Identity, &c.Socket,
		&c.MuxSocket, &c.SSHOptionsUnread, &c.LastError, &c.Engine} {
		*f = vis.Line(*f)
	}
	c.SSHOptions = make([]string, len(s.SSHOptions))
	for i, o := range s.SSHOptions {
		c.SSHOptions[i] = vis.Line(o)
	}
	c.Riders = slices.Clone(s.Riders)
	for i := range c.Riders {
		c.Riders[i].Command, c.Riders[i].Door = vis.Line(c.Riders[i].Command), vis.Line(c.Riders[i].Door)
	}
	c.ForwardsDetail = slices.Clone(s.ForwardsDetail)
	for i := range c.ForwardsDetail {
		c.ForwardsDetail[i].Spec, c.ForwardsDetail[i].Owner = vis.Line(c.ForwardsDetail[i].Spec), vis.Line(c.ForwardsDetail[i].Owner)
	}
	return &c
}

// versionOf shows a master's protocol version and, when it says, its build.
func versionOf(s *control.Status) string {
	if s.Build == "" {
		return fmt.Sprintf("p%d", s.Protocol)
	}
	return fmt.Sprintf("p%d %s", s.Protocol, s.Build)
}

// dash shows an empty field as "-".
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// health summarises upstream health: the last keepalive round trip.
func health(s *control.Status) string {
	if !s.Healthy {
		return "down"
	}
	return fmt.Sprintf("ok %.1fms", s.KeepaliveRTT)
}

// seconds formats a duration in seconds for the table.
func seconds(s float64) string {
	return (time.Duration(max(s, 0)) * time.Second).Round(time.Second).String()
}

// stateDir is the user's sshshare state directory.
func stateDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find home directory: %w", err)
	}
	return control.StateDir(home), nil
}
