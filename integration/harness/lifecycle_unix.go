//go:build unix

package harness

import (
	"bytes"
	"os"
	"strconv"
)

// masterPids scans /proc for live processes running `... master ...` with
// an argument that starts with under.
func masterPids(under string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !isMasterCmdline(b, under) {
			continue
		}
		if PidAlive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// isMasterCmdline reports whether a NUL-separated command line runs the
// hidden master subcommand with an argument under the given directory.
func isMasterCmdline(cmdline []byte, under string) bool {
	args := bytes.Split(bytes.TrimRight(cmdline, "\x00"), []byte{0})
	if len(args) < 2 || string(args[1]) != "master" {
		return false
	}
	for _, a := range args[2:] {
		if bytes.HasPrefix(a, []byte(under)) {
			return true
		}
	}
	return false
}

// HelperPids returns the live processes running this test binary's
// helper name (see RunHelper).
func HelperPids(name string) []int {
	self, err := os.Executable()
	if err != nil {
		return nil
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		args := bytes.Split(bytes.TrimRight(b, "\x00"), []byte{0})
		if err != nil || len(args) < 2 || string(args[0]) != self || string(args[1]) != name {
			continue
		}
		if PidAlive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}
