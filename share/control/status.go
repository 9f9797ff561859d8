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
}
