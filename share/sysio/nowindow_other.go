//go:build !windows

package sysio

import "os/exec"

// NoWindow returns cmd: only Windows opens console windows for commands.
func NoWindow(cmd *exec.Cmd) *exec.Cmd { return cmd }
