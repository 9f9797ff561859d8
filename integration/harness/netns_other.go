//go:build !linux

package harness

import (
	"errors"
	"os/exec"
)

// NetNS is a network namespace: Linux only.
type NetNS struct{}

// NewNetNS reports that network namespaces are Linux only.
func NewNetNS(tb TB, ports ...int) (*NetNS, error) {
	return nil, errors.New("network namespaces are Linux only")
}

// Command returns cmd unchanged.
func (n *NetNS) Command(cmd *exec.Cmd) *exec.Cmd { return cmd }

// runNetNS is not available here.
func runNetNS([]string) error { return errors.New("network namespaces are Linux only") }
