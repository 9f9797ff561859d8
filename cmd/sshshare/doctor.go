package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/alecthomas/kong"
	"github.com/sshshare/sshshare/share/doctor"
	"github.com/sshshare/sshshare/share/vis"
	"github.com/sshshare/sshshare/tokens"
)

// DoctorCmd checks the set-up and explains each problem with its fix
// (docs/doctor.md). It exits 0 when no finding needs a fix, 1 otherwise.
type DoctorCmd struct {
	ConfigFile string `short:"F" name:"config" placeholder:"FILE" help:"Check with this ssh config file, as ssh -F FILE would read it."`
	JSON       bool   `help:"Print the findings as a JSON array of {id, severity, what, fix}."`
	Try        bool   `help:"Also connect to HOST twice (ssh HOST true) and report the cold and warm timing and the logins it cost; a master that runs already is not stopped, only the warm connect is made."`
	Host       string `arg:"" optional:"" help:"The host as you type it to ssh; without it, only the checks that need no host."`
}

// doctorFailed is the exit of a doctor run with findings that need a fix.
type doctorFailed int

// Error counts the findings, for the sshshare: line on stderr.
func (n doctorFailed) Error() string {
	if n == 1 {
		return "doctor: 1 finding needs a fix"
	}
	return fmt.Sprintf("doctor: %d findings need a fix", int(n))
}

// ExitCode is 1: the set-up needs a fix (255 stays for failures to check).
func (doctorFailed) ExitCode() int { return 1 }

// Run runs the checks (and the trial) and prints the findings.
func (c DoctorCmd) Run(stdout io.Writer) error {
	env, err := c.env()
	if err != nil {
		return err
	}
	ctx := context.Background()
	findings := doctor.Check(ctx, env, c.Host)
	if c.Try && c.Host != "" {
		findings = append(findings, c.trial(ctx, env, findings)...)
	}
	if err := printFindings(stdout, findings, c.JSON); err != nil {
		return err
	}
	if n := countFixes(findings); n > 0 {
		return doctorFailed(n)
	}
	return nil
}

// trial runs the trial connections unless the set-up needs a fix first.
func (c DoctorCmd) trial(ctx context.Context, env doctor.Env, findings []doctor.Finding) []doctor.Finding {
	if doctor.NeedsFix(findings) {
		return []doctor.Finding{{ID: "trial", Severity: doctor.OK, What: "no trial connection: fix the findings above first"}}
	}
	return doctor.Trial{SSH: env.SSH, ConfigFile: c.ConfigFile, Host: c.Host, StateDir: env.StateDir}.Run(ctx)
}

// env is where the checks look.
func (c DoctorCmd) env() (doctor.Env, error) {
	dir, err := stateDir()
	if err != nil {
		return doctor.Env{}, err
	}
	self, _ := os.Executable()
	wd, _ := os.Getwd()
	home, _ := os.UserHomeDir()
	return doctor.Env{
		ConfigFile: c.ConfigFile, Self: self, StateDir: dir, WorkDir: wd, Home: home, Getenv: os.Getenv,
		ProxyFlags: func(args []string, host string) (doctor.ProxyFlags, error) {
			return readProxyLine(args, host, c.ConfigFile, wd)
		},
	}, nil
}

// readProxyLine reads the arguments of sshshare's ProxyCommand line as
// this build's proxy command does, for an ssh run in cwd as `ssh [-F
// configFile] host`, and returns where its master's sockets would be.
func readProxyLine(args []string, host, configFile, cwd string) (doctor.ProxyFlags, error) {
	var line struct {
		Proxy ProxyCmd `cmd:"" default:"withargs"`
	}
	parser, err := kong.New(&line, kong.Name("sshshare"), kong.Vars(kongVars()), kong.Writers(io.Discard, io.Discard),
		kong.Exit(func(int) {}))
	if err != nil {
		return doctor.ProxyFlags{}, err
	}
	if _, err := parser.Parse(args); err != nil {
		return doctor.ProxyFlags{}, fmt.Errorf("sshshare %s: %w", strings.Join(args, " "), err)
	}
	f := line.Proxy.TargetFlags
	given := f.Alias
	argv := []string{"ssh"}
	if configFile != "" {
		argv = append(argv, "-F", configFile)
	}
	cl, err := sshCommandLine(append(argv, host), cwd, "doctor")
	if err != nil {
		return doctor.ProxyFlags{}, err
	}
	f = f.applyView(cl)
	socket, socketErr := f.socket()
	mux := tokens.MuxTemplate(f.ControlPath, f.MuxPath)
	target, err := f.target()
	if err != nil {
		return doctor.ProxyFlags{}, err
	}
	return doctor.ProxyFlags{Alias: given, Socket: socket, SocketErr: socketErr, MuxTemplate: mux, User: f.User, Host: f.Host, Port: f.Port,
		Loader: f.loader(f.view.Args), Target: target}, nil
}

// printFindings prints the findings as JSON or as one line each, the fix
// on the next line. A finding may quote the user's config or a master's
// reply: it is escaped (see package vis).
func printFindings(w io.Writer, findings []doctor.Finding, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(findings)
	}
	for _, f := range findings {
		fmt.Fprintf(w, "%-4s  %s\n", marker(f.Severity), vis.Line(f.What))
		if f.Fix != "" {
			fmt.Fprintf(w, "      fix: %s\n", vis.Line(f.Fix))
		}
	}
	if n := countFixes(findings); n == 0 {
		_, err := fmt.Fprintln(w, "all clear: nothing needs a fix")
		return err
	}
	return nil
}

// marker is a severity's mark at the start of its line.
func marker(s doctor.Severity) string {
	switch s {
	case doctor.Fix:
		return "FIX"
	case doctor.Warn:
		return "warn"
	}
	return "ok"
}

// countFixes counts the findings that need a fix.
func countFixes(findings []doctor.Finding) int {
	n := 0
	for _, f := range findings {
		if f.Severity == doctor.Fix {
			n++
		}
	}
	return n
}
