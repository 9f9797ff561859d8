package main

import (
	"io"

	"github.com/alecthomas/kong"
)

// CompletionCmd prints a shell's completion script, generated from the
// command line's own model.
type CompletionCmd struct {
	Shell string `arg:"" enum:"bash,zsh,fish" help:"The shell: bash, zsh or fish."`
}

// Run writes the script for the chosen shell.
func (c CompletionCmd) Run(stdout io.Writer, app *kong.Kong) error {
	m, err := newCLIModel(app.Model)
	if err != nil {
		return err
	}
	switch c.Shell {
	case "zsh":
		return writeZsh(stdout, m)
	case "fish":
		return writeFish(stdout, m)
	}
	return writeBash(stdout, m)
}

// ManCmd prints the man page sshshare(1) in roff.
type ManCmd struct{}

// Run writes the man page.
func (ManCmd) Run(stdout io.Writer, app *kong.Kong) error {
	m, err := newCLIModel(app.Model)
	if err != nil {
		return err
	}
	return writeMan(stdout, m, buildVersion())
}
