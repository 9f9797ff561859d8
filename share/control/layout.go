package control

import "path/filepath"

// StateDir is the per-user directory that holds the local host key, the
// registry of masters and, by default, the masters' sockets and logs:
// ~/.ssh/sshshare.
func StateDir(home string) string {
	return filepath.Join(home, ".ssh", "sshshare")
}

// LogPath is the master's log file beside its socket.
func LogPath(socket string) string { return socket + ".log" }
