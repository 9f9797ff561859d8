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
	cl, err := invokingSSH()
	if err != nil {
		f.viewUnread = err.Error()
		return f
	}
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

// invokingSSH reads the command line of the ssh that runs this
// ProxyCommand: the parent process, as ssh execs it through the shell.
func invokingSSH() (upstream.CommandLine, error) {
	argv, err := sysio.ParentArgs()
	if err != nil {
		return upstream.CommandLine{}, err
	}
	if len(argv) == 0 || filepath.Base(argv[0]) != "ssh" {
		return upstream.CommandLine{}, fmt.Errorf("the ProxyCommand's parent is not ssh (%q)", filepath.Base(append(argv, "")[0]))
	}
	cwd, _ := os.Getwd() // "" leaves relative paths relative: the master resolves them against this directory too (sysio.Abs)
	cl, err := upstream.ParseCommandLine(argv, cwd)
	if err != nil {
		return cl, fmt.Errorf("ssh's command line: %w", err)
	}
	return cl, nil
}
