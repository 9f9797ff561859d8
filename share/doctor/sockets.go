package doctor

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/sysio"
)

// CheckSockets looks at the sockets in the state directory (and, with a
// host, in its socket's directory) and at every registered master's:
// a socket nobody listens on is stale, and a master of another control
// protocol version is one an upgrade or downgrade left running.
func CheckSockets(stateDir string, h *Host) []Finding {
	dirs := []string{stateDir}
	if h != nil && h.Runs && h.FlagsErr == nil && h.Flags.Socket != "" {
		dirs = append(dirs, filepath.Dir(h.Flags.Socket))
	}
	registered, err := control.RegisteredSockets(stateDir)
	if err != nil {
		return []Finding{broken("sockets.registry", err.Error(), "chmod 700 "+filepath.Join(stateDir, "masters"))}
	}
	var out []Finding
	var stale []string
	for _, socket := range candidateSockets(dirs, registered) {
		switch sysio.ProbeSocket(socket) {
		case sysio.SocketStale:
			stale = append(stale, socket)
		case sysio.SocketAbsent:
			if slices.Contains(registered, socket) {
				out = append(out, warn("sockets.registry", "the registry lists "+socket+", which is gone",
					"`sshshare status` removes the entry"))
			}
		case sysio.SocketLive:
			if slices.Contains(registered, socket) {
				out = append(out, checkMaster(stateDir, socket)...)
			}
		}
	}
	if len(stale) > 0 {
		out = append(out, warn("sockets.stale", fmt.Sprintf("%d stale sockets, nobody listens there (masters that were killed): %s; the next ssh to such a host removes its socket, after one `Connection refused` line from ssh for a mux socket",
			len(stale), strings.Join(stale, ", ")), "rm "+strings.Join(stale, " ")))
	}
	if len(out) == 0 {
		out = append(out, ok("sockets.stale", "no stale sockets, no master of another version"))
	}
	return out
}

// candidateSockets are the sockets in dirs (on Windows, every file: a
// master's marker is one) and the registered sockets, each once, sorted.
func candidateSockets(dirs, registered []string) []string {
	all := slices.Clone(registered)
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if info, err := e.Info(); err == nil && sysio.IsSocketFile(info) {
				all = append(all, filepath.Join(dir, e.Name()))
			}
		}
	}
	slices.Sort(all)
	return slices.Compact(all)
}

// checkMaster asks the master at socket for its status: one of another
// protocol version keeps its sessions and exits once idle, while new
// connections get a master of this version beside it.
func checkMaster(stateDir, socket string) []Finding {
	reply, err := control.Query(stateDir, socket, control.Hello{Op: control.OpStatus})
	if err != nil || reply.Status == nil {
		return []Finding{warn("sockets.master", fmt.Sprintf("the master at %s does not answer status: %v", socket, err),
			"see its log ("+control.LogPath(socket)+"); `sshshare stop --all` ends every master")}
	}
	s := reply.Status
	if s.Protocol == control.ProtocolVersion {
		return nil
	}
	build := ""
	if s.Build != "" {
		build = ", sshshare " + s.Build
	}
	return []Finding{warn("sockets.version", fmt.Sprintf("master %d for %s speaks control protocol %d%s; this sshshare speaks %d: it keeps its sessions and ends once idle, and new connections start a master of this version beside it (two logins)",
		s.Pid, s.Target, s.Protocol, build, control.ProtocolVersion),
		"`sshshare stop --all` ends it now (and every other master; or `sshshare stop "+s.Target+"`)")}
}
