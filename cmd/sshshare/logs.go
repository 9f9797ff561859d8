package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sshshare/sshshare/share"
	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/vis"
)

// LogsCmd shows a master's log, like tail.
type LogsCmd struct {
	Target string `arg:"" optional:"" help:"HOST, the host alias you typed, or user@host:port of the master; optional when only one master runs."`
	Follow bool   `short:"f" help:"Keep printing lines as the master writes them, until interrupted (^C)."`
	Lines  int    `short:"n" default:"50" help:"Print the last N lines (the rotated log's too, when the current one holds fewer)."`
}

// masterLog is a log a master wrote: a running master's, or one left
// beside its socket in the state directory by a master that has exited.
type masterLog struct {
	target, alias string
	path          string
	pid           int // 0 for a master that has exited
}

// String names the log's master for a list to choose from.
func (l masterLog) String() string {
	name := l.target
	if l.alias != "" {
		name += " (" + l.alias + ")"
	}
	if l.pid == 0 {
		return name + " exited"
	}
	return name + " pid " + strconv.Itoa(l.pid)
}

// Run prints the chosen master's log, and follows it with -f.
func (c LogsCmd) Run(stdout io.Writer, stderr stderrWriter) error {
	dir, err := stateDir()
	if err != nil {
		return err
	}
	l, err := c.choose(masterLogs(dir, stderr))
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	emit := func(line string) {
		fmt.Fprintln(w, vis.Text(line)) // a master's log may quote a server
		if c.Follow {
			w.Flush()
		}
	}
	if err := share.TailLog(ctx, l.path, max(c.Lines, 0), c.Follow, emit); err != nil {
		return fmt.Errorf("logs of %s: %w", l.target, err)
	}
	return nil
}

// choose picks the log the command line names: by HOST as stop does, a
// running master's before those of exited ones, the newest of those; with
// no HOST, the one running master, or the one log there is.
func (c LogsCmd) choose(logs []masterLog) (masterLog, error) {
	if c.Target != "" {
		logs = slices.DeleteFunc(logs, func(l masterLog) bool {
			return !matchesTarget(l.target, c.Target) && l.alias != c.Target
		})
		if len(logs) == 0 {
			return masterLog{}, fmt.Errorf("logs: no master log for %s", c.Target)
		}
	}
	running := slices.DeleteFunc(slices.Clone(logs), func(l masterLog) bool { return l.pid == 0 })
	switch {
	case len(running) == 1:
		return running[0], nil
	case len(running) == 0 && len(logs) > 0 && (c.Target != "" || len(logs) == 1):
		return newest(logs), nil
	case len(logs) == 0:
		return masterLog{}, hint.With(errors.New("logs: no master has written a log"), "start one with ssh HOST or sshshare start HOST")
	}
	if len(running) > 0 {
		logs = running
	}
	names := make([]string, len(logs))
	for i, l := range logs {
		names[i] = l.String()
	}
	return masterLog{}, hint.With(fmt.Errorf("logs: %d masters; name one", len(logs)),
		"sshshare logs HOST, for one of: "+strings.Join(names, ", "))
}

// newest is the most recently written of logs.
func newest(logs []masterLog) masterLog {
	return slices.MaxFunc(logs, func(a, b masterLog) int {
		return modTime(a.path).Compare(modTime(b.path))
	})
}

// masterLogs lists the logs of the running masters (as status finds them)
// and, after them, those in the state directory no running master
// writes: masters that have exited leave theirs beside their sockets.
func masterLogs(stateDir string, stderr io.Writer) []masterLog {
	var logs []masterLog
	seen := make(map[string]bool)
	for _, s := range queryAll(stateDir, stderr) {
		logs = append(logs, masterLog{target: s.Target, alias: s.Alias, path: s.Log, pid: s.Pid})
		seen[s.Log] = true
	}
	for _, path := range logFiles(stateDir) {
		if !seen[path] {
			target, alias := logTarget(path)
			logs = append(logs, masterLog{target: target, alias: alias, path: path})
		}
	}
	return logs
}

// logFiles lists the master logs in dir, by their current name (a
// rotated log alone is listed by the name it was rotated from).
func logFiles(dir string) []string {
	current, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	rotated, _ := filepath.Glob(filepath.Join(dir, "*.log.old"))
	for _, r := range rotated {
		current = append(current, strings.TrimSuffix(r, ".old"))
	}
	slices.Sort(current)
	return slices.Compact(current)
}

// logHead is how much of an exited master's log is read to learn its
// target.
const logHead = 64 << 10

// logTarget reads the target and alias of the master that wrote the log
// at path from its lines (every line names the target; the line of the
// login names the alias). A log that names none is named after its
// socket, as the control path spells it (user@host-port).
func logTarget(path string) (target, alias string) {
	head := readHead(path)
	if len(head) == 0 {
		head = readHead(path + ".old")
	}
	for line := range strings.Lines(string(head)) {
		if target == "" {
			target = logValue(line, "target")
		}
		if alias == "" {
			alias = logValue(line, "alias")
		}
		if target != "" && alias != "" {
			break
		}
	}
	if target == "" {
		target = strings.TrimSuffix(filepath.Base(path), ".log")
	}
	return target, alias
}

// readHead reads the start of the file at path, nil if it cannot.
func readHead(path string) []byte {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, logHead))
	return b
}

// logValue is the value of key in a line of slog's text format
// (key=value, or key="quoted value"), "" if the line has none.
func logValue(line, key string) string {
	i := strings.Index(line, " "+key+"=")
	if i < 0 {
		return ""
	}
	v := line[i+len(key)+2:]
	if strings.HasPrefix(v, `"`) {
		q, err := strconv.QuotedPrefix(v)
		if err != nil {
			return ""
		}
		s, _ := strconv.Unquote(q)
		return s
	}
	if end := strings.IndexAny(v, " \n"); end >= 0 {
		v = v[:end]
	}
	return v
}

// modTime is when the file at path was last written, zero if unknown.
func modTime(path string) time.Time {
	info, err := os.Stat(path)
	if err != nil {
		return time.Time{}
	}
	return info.ModTime()
}
