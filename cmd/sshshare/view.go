package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sshshare/sshshare/share/sysio"
	"github.com/sshshare/sshshare/share/upstream"
)

// withView returns the flags with the invoking ssh's command line in the
// master's view: its destination is the alias unless --alias names one,
// its -F is the config file unless -F or SSHSHARE_CONFIG names one, and
// its options that shape the upstream go to the master's `ssh -G` and key
// its socket. It costs one read of the parent's argv, no ssh -G. Where the
// command line cannot be read the view is the config alone, as before,
// and the master's status says why.
func (f TargetFlags) withView() TargetFlags {
	f.ownAlias, f.ownConfig = f.Alias, f.ConfigFile
	cl, err := invokingSSH()
	if err != nil {
		f.viewUnread = err.Error()
		return f
	}
	return f.applyView(cl)
}

// applyView puts the command line cl of an ssh in the flags' view.
func (f TargetFlags) applyView(cl upstream.CommandLine) TargetFlags {
	if f.Alias == "" {
		f.Alias = cl.Host
	}
	if f.ConfigFile != "" {
		cl.ConfigFile = "" // sshshare's own -F chose the master's config
	} else {
		f.ConfigFile = cl.ConfigFile
	}
	f.view = cl
	return f
}

// viewKey is the key of the flags' view (see upstream.CommandLine.Key):
// "" when the view is the target's alone.
func (f TargetFlags) viewKey() string {
	view := f.view
	view.Host = f.Alias
	return view.Key(f.Host)
}

// invokingSSH reads the command line of the ssh that runs this
// ProxyCommand: the parent process, as ssh execs it through the shell.
func invokingSSH() (upstream.CommandLine, error) {
	argv, err := sysio.ParentArgs()
	if err != nil {
		return upstream.CommandLine{}, err
	}
	cwd, _ := os.Getwd() // "" leaves relative paths relative: the master resolves them against this directory too (sysio.Abs)
	return sshCommandLine(argv, cwd, "the ProxyCommand's parent")
}

// sshCommandLine parses the command line argv of an ssh run in cwd; who
// names the process for errors.
func sshCommandLine(argv []string, cwd, who string) (upstream.CommandLine, error) {
	if len(argv) == 0 || filepath.Base(argv[0]) != "ssh" {
		return upstream.CommandLine{}, fmt.Errorf("%s is not ssh (%q)", who, filepath.Base(append(argv, "")[0]))
	}
	cl, err := upstream.ParseCommandLine(argv, cwd)
	if err != nil {
		return cl, fmt.Errorf("ssh's command line: %w", err)
	}
	return cl, nil
}
