package main

import (
	"fmt"
	"io"

	"github.com/sshshare/sshshare/tokens"
)

// PathCmd prints the socket path an invocation would use.
type PathCmd struct {
	ControlPath string `name:"control-path" default:"${control_path}" env:"SSHSHARE_CONTROL_PATH" help:"Socket path template, with ControlPath's tokens (%r %h %p %C ...)."`
	Alias       string `help:"Host name as typed (%n), when it differs from HOST."`
	User        string `arg:"" help:"Remote user (%r)."`
	Host        string `arg:"" help:"Remote host (%h)."`
	Port        string `arg:"" help:"Remote port (%p)."`
}

// Run expands the template for the target and prints the result.
func (c PathCmd) Run(stdout io.Writer) error {
	values, err := tokens.Local(c.User, c.Host, c.Port, c.Alias)
	if err != nil {
		return err
	}
	path, err := tokens.SocketPath(c.ControlPath, values)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, path)
	return err
}
