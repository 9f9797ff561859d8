package main

import (
	"bytes"
	"os"
	"strconv"
)

// processesMentioning returns the live processes whose command line
// contains any of words.
func processesMentioning(words ...string) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || len(cmdline) == 0 { // zombies have none
			continue
		}
		for _, w := range words {
			if bytes.Contains(cmdline, []byte(w)) {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}
