package control

import "time"

// Status describes a running master, for `sshshare status`.
type Status struct {
	// Protocol is the master's control protocol version (1 for masters
	// that predate the field); Build is its sshshare version.
	Protocol int    `json:"protocol"`
	Build    string `json:"build,omitempty"`
	Target   string `json:"target"`
	Alias    string `json:"alias,omitempty"` // the host name as typed (ssh's %n)
	// SSHOptions are the invoking ssh's command-line options that shape
	// the upstream (-i, -o, -4 ...) in the master's view; SSHOptionsUnread
	// says why that command line could not be read, when it could not (the
	// view is then the ssh config alone). Identity is the public key the
	// upstream login was accepted with: type and SHA256 fingerprint.
	SSHOptions       []string `json:"ssh_options,omitempty"`
	SSHOptionsUnread string   `json:"ssh_options_unread,omitempty"`
	Identity         string   `json:"identity,omitempty"`
	Mode             string   `json:"mode"`
	Via              string   `json:"via"`
	Pid              int      `json:"pid"`
	Socket           string   `json:"socket"` // where the master was reached (see Query)
	// MuxSocket is where the master serves OpenSSH's multiplexing
	// protocol (ssh's ControlPath), "" when it serves none; MuxSessions
	// counts the sessions and stdio forwards served there.
	MuxSocket   string    `json:"mux_socket,omitempty"`
	MuxSessions int64     `json:"mux_sessions,omitempty"`
	Started     time.Time `json:"started"`
	Clients     int       `json:"clients"`
	Channels    int64     `json:"channels"`
	Upstreams   int       `json:"upstreams"`
	// SessionsWaiting counts session opens waiting for a free slot on the
	// upstream connections (sshd's MaxSessions).
	SessionsWaiting int      `json:"sessions_waiting"`
	Tunnels         int      `json:"tunnels"`
	TunnelTargets   []string `json:"tunnel_targets"`
	Forwards        int      `json:"forwards"`
	BytesIn         int64    `json:"bytes_in"`
	BytesOut        int64    `json:"bytes_out"`
	IdleSeconds     float64  `json:"idle_seconds"`
	PersistSeconds  float64  `json:"persist_seconds"`
	Healthy         bool     `json:"healthy"`
	KeepaliveRTT    float64  `json:"keepalive_rtt_ms"`
	SilentSeconds   float64  `json:"upstream_silent_seconds"`
	Healed          int64    `json:"healed"`
	Draining        bool     `json:"draining"`
	Log             string   `json:"log"`
	LastError       string   `json:"last_error,omitempty"` // the last problem, also in the log
	// Riders are the ssh processes riding the master now, one per live
	// client connection, longest-riding first.
	Riders []Rider `json:"riders,omitempty"`
	// ForwardsDetail lists the forwards Forwards counts, with who owns
	// each.
	ForwardsDetail []Forward `json:"forwards_detail,omitempty"`
	// LastHeal is when the upstream was last replaced by a fresh login
	// (see Healed); zero if never.
	LastHeal time.Time `json:"last_heal,omitzero"`
	// Engine is what makes the upstream logins: "go" or "openssh" (the
	// user's own ssh, see docs/config.md); "" from masters that predate
	// it. EnginePIDs are the process ids of the openssh engine's ssh
	// processes, the primary's first.
	Engine     string `json:"engine,omitempty"`
	EnginePIDs []int  `json:"engine_pids,omitempty"`
}

// Door values: how a rider reached the master.
const (
	DoorProxyCommand = "proxycommand" // ssh's ProxyCommand, sshshare's invocation
	DoorMux          = "mux"          // OpenSSH's multiplexing protocol, ssh's ControlPath
)

// Rider is one ssh riding a master: a live client connection.
type Rider struct {
	// Pid is the ssh's process id: the peer of the connection on the mux
	// door; on the ProxyCommand door the peer is sshshare's invocation,
	// and Pid its parent, the ssh that ran it.
	Pid int `json:"pid"`
	// Command is the ssh's command line, "" where it cannot be read. Only
	// ssh's own arguments are shown (never those of a parent such as
	// sshpass); when the process is not an ssh, its program name alone.
	Command string    `json:"command,omitempty"`
	Door    string    `json:"door"`
	Since   time.Time `json:"since"`
}

// Forward owners.
const (
	OwnerMaster = "master" // held by the master (asked for over the mux door)
	OwnerClient = "client" // held for one client, ended with it
)

// Forward is one forward a master holds.
type Forward struct {
	// Spec is the forward as ssh's option spells it: "-L 8080:web:80",
	// "-D 1080", "-R 9000" (a remote listener of a ProxyCommand client,
	// whose connect side only its ssh knows).
	Spec  string `json:"spec"`
	Owner string `json:"owner"`
	// OwnerPid is the ssh of an OwnerClient forward, 0 if unknown.
	OwnerPid int `json:"owner_pid,omitempty"`
}
