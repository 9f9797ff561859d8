package main

import (
	"fmt"
	"io"
)

// PathCmd prints the socket path an invocation would use. It takes the
// proxy command's arguments, so the ProxyCommand line itself, with `path`
// in front, names the socket of an ssh run without options: options on
// ssh's command line key the socket further (see the view), and `status`
// shows those masters' sockets.
type PathCmd struct {
	TargetFlags
}

// Run expands the template for the target and prints the result.
func (c PathCmd) Run(stdout io.Writer) error {
	path, err := c.socket()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, path)
	return err
}
