// Command sshshare gives stock OpenSSH connection sharing from one line of
// ~/.ssh/config:
//
//	Host 10.5.*
//	    ProxyCommand sshshare %r %h %p
//	    GlobalKnownHostsFile /etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2 ~/.ssh/sshshare/known_hosts
//
// This package is only the command line: it parses, binds the globals and
// runs the chosen command, then maps errors to messages and exit codes. The
// work happens in package share (the master) and its sub-packages.
package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/alecthomas/kong"
	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/vis"
)

// CLI is the whole command line.
type CLI struct {
	Version kong.VersionFlag `help:"Print the version and exit."`

	Proxy      ProxyCmd      `cmd:"" default:"withargs" help:"Connect stdio to the master for USER HOST PORT, starting it if needed (the ProxyCommand)."`
	Master     MasterCmd     `cmd:"" hidden:"" help:"Run a master (started by the proxy command)."`
	Start      StartCmd      `cmd:"" help:"Start a master now, asking for passwords here; print its socket when ready."`
	Status     StatusCmd     `cmd:"" help:"List running masters: target, pid, clients, channels, bytes, idle time."`
	Stop       StopCmd       `cmd:"" help:"Stop a master now, or with --drain once its clients have left."`
	Logs       LogsCmd       `cmd:"" help:"Show a master's log (its last lines, or follow it with -f)."`
	Path       PathCmd       `cmd:"" help:"Print the socket path an invocation for USER HOST PORT would use."`
	Config     ConfigCmd     `cmd:"" help:"Print the Host block that sends PATTERN's hosts through sshshare; --install puts it in ~/.ssh/config."`
	Doctor     DoctorCmd     `cmd:"" help:"Check the set-up (for HOST) and explain each problem with its fix; exit 1 when one needs a fix."`
	KnownHosts KnownHostsCmd `cmd:"" name:"known-hosts" help:"Print the local host key line for HOST (for KnownHostsCommand)."`
	Ver        VersionCmd    `cmd:"" name:"version" help:"Print the version."`

	Completion    CompletionCmd    `cmd:"" help:"Print the completion script for bash, zsh or fish (make install installs them)."`
	Man           ManCmd           `cmd:"" hidden:"" help:"Print the man page sshshare(1) in roff."`
	CompleteHosts CompleteHostsCmd `cmd:"" name:"__complete-hosts" hidden:"" help:"Print the host names completions offer."`
	Askpass       AskpassCmd       `cmd:"" hidden:"" help:"Relay a question of the master's own ssh (the openssh engine) to the user."`
}

// exitFailure is the exit code for every failure, as ssh uses it.
const exitFailure = 255

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run parses args, runs the command and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if cmd, ok := fastParse(args); ok {
		if err := cmd.run(stdout); err != nil {
			return report(stderr, err)
		}
		return 0
	}
	var cli CLI
	parser, err := newParser(&cli, stdout, stderr)
	if err != nil {
		return report(stderr, err)
	}
	return runParsed(parser, args, stdout, stderr)
}

// newParser is kong's parser for the command line into cli.
func newParser(cli *CLI, stdout, stderr io.Writer) (*kong.Kong, error) {
	return kong.New(cli,
		kong.Name("sshshare"),
		kong.Description("One SSH login shared by every ssh, scp, sftp, rsync and git to a host."),
		kong.Vars(kongVars()),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { panic(exitCode(code)) }),
		kong.UsageOnError(),
	)
}

// exitCode carries kong's requested exit (help, --version) out of Parse.
type exitCode int

// runParsed parses and runs, turning kong's exit requests into codes.
func runParsed(parser *kong.Kong, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			c, ok := r.(exitCode)
			if !ok {
				panic(r)
			}
			code = int(c)
		}
	}()
	ctx, err := parser.Parse(args)
	if err != nil {
		return report(stderr, err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx.BindTo(stdout, (*io.Writer)(nil))
	ctx.Bind(stderrWriter{stderr})
	ctx.Bind(logger)
	if err := ctx.Run(); err != nil {
		return report(stderr, err)
	}
	return 0
}

// stderrWriter is the user's stderr, bound for commands that report on it.
type stderrWriter struct{ io.Writer }

// report prints err as one "sshshare:" line, plus a hint line when the fix
// is known, and returns the exit code the error asks for. Both may hold
// text a server or a master sent (a refusal, a disconnect reason): it is
// escaped (see package vis).
func report(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "sshshare: %s\n", vis.Line(err.Error()))
	if hint := hint.Of(err); hint != "" {
		fmt.Fprintf(stderr, "sshshare: hint: %s\n", vis.Line(hint))
	}
	var coder kong.ExitCoder
	if errors.As(err, &coder) {
		return coder.ExitCode()
	}
	return exitFailure
}
