//go:build linux

package sysio

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// The reads of /proc here are raw system calls (rawsys_linux.go): the mux
// door reads its client's command line on every connect.

// processArgs reads /proc/PID/cmdline: the arguments, each ended by NUL.
func processArgs(pid int) ([]string, error) {
	b, err := readProcFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return nil, fmt.Errorf("read command line of process %d: %w", pid, err)
	}
	return splitNUL(b), nil
}

// splitNUL splits NUL-ended strings.
func splitNUL(b []byte) []string {
	b = bytes.TrimSuffix(b, []byte{0})
	if len(b) == 0 {
		return nil
	}
	parts := bytes.Split(b, []byte{0})
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = string(p)
	}
	return out
}

// processDir reads the /proc/PID/cwd link.
func processDir(pid int) (string, error) {
	dir, err := readProcLink("/proc/" + strconv.Itoa(pid) + "/cwd")
	if err != nil {
		return "", fmt.Errorf("read working directory of process %d: %w", pid, err)
	}
	return dir, nil
}

// processEnv reads /proc/PID/environ: NUL-ended NAME=VALUE strings.
func processEnv(pid int, name string) (string, bool, error) {
	b, err := readProcFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return "", false, fmt.Errorf("read environment of process %d: %w", pid, err)
	}
	for _, kv := range splitNUL(b) {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v, true, nil
		}
	}
	return "", false, nil
}

// processParent reads the fourth field of /proc/PID/stat. The second, the
// command's name in parentheses, may hold spaces and parentheses itself:
// the fields after it start after its last ')'.
func processParent(pid int) (int, error) {
	b, err := readProcFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1, fmt.Errorf("read parent of process %d: %w", pid, err)
	}
	i := bytes.LastIndexByte(b, ')')
	fields := strings.Fields(string(b[i+1:]))
	if i < 0 || len(fields) < 2 {
		return -1, fmt.Errorf("read parent of process %d: unexpected /proc/%d/stat", pid, pid)
	}
	ppid, err := strconv.Atoi(fields[1])
	if err != nil {
		return -1, fmt.Errorf("read parent of process %d: %w", pid, err)
	}
	return ppid, nil
}
