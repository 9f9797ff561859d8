//go:build darwin

package sysio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// processArgs reads the kern.procargs2 sysctl: argc (a 32-bit int), the
// executable's path, NUL padding, then argc NUL-ended arguments and the
// environment.
func processArgs(pid int) ([]string, error) {
	b, err := unix.SysctlRaw("kern.procargs2", pid)
	if err != nil {
		return nil, fmt.Errorf("read command line of process %d: %w", pid, err)
	}
	args, err := parseProcArgs2(b)
	if err != nil {
		return nil, fmt.Errorf("read command line of process %d: %w", pid, err)
	}
	return args, nil
}

// parseProcArgs2 decodes kern.procargs2's layout.
func parseProcArgs2(b []byte) ([]string, error) {
	if len(b) < 4 {
		return nil, errors.New("short kern.procargs2")
	}
	argc := int(binary.LittleEndian.Uint32(b))
	b = b[4:]
	end := bytes.IndexByte(b, 0) // the executable's path
	if end < 0 {
		return nil, errors.New("kern.procargs2 without arguments")
	}
	b = bytes.TrimLeft(b[end:], "\x00")
	args := make([]string, 0, argc)
	for range argc {
		end := bytes.IndexByte(b, 0)
		if end < 0 {
			return nil, errors.New("kern.procargs2 cut short")
		}
		args = append(args, string(b[:end]))
		b = b[end+1:]
	}
	return args, nil
}

// processDir is not read on macOS: relative paths on the command line
// stay relative.
func processDir(int) (string, error) {
	return "", errors.New("the working directory of another process is not read on macOS")
}

// processEnv is not read on macOS.
func processEnv(int, string) (string, bool, error) {
	return "", false, errors.New("the environment of another process is not read on macOS")
}

// processParent reads the kern.proc.pid sysctl.
func processParent(pid int) (int, error) {
	info, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	if err != nil {
		return -1, fmt.Errorf("read parent of process %d: %w", pid, err)
	}
	return int(info.Eproc.Ppid), nil
}
