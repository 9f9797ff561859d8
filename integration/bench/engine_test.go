//go:build linux

package bench

import "strings"

// engineMethod connects through the mux door of a master whose upstream
// is the OpenSSH engine (issue 21): the master runs the user's own
// `ssh -M` and attaches to it, so every byte crosses one more local hop
// (the engine's control socket) and is encrypted by that ssh. Its Host
// block is the mux door's with `--engine openssh` on the ProxyCommand
// line, and it has a master of its own.
type engineMethod struct{ sshshareMasters }

func newEngine(e *env, route []string) method {
	template := strings.ReplaceAll(e.client.ShareControlPath(), "%", "%%")
	proxy := "ProxyCommand " + e.bin + " --engine openssh -F " + e.client.ConfigPath +
		" --alias %n --control-path " + template + " %r %h %p"
	// ssh takes a keyword's first value: this ProxyCommand wins over the
	// one AddMuxHost appends.
	e.client.AddMuxHost("engine", e.bin, append([]string{proxy}, route...)...)
	return engineMethod{sshshareMasters{e, "engine"}}
}

func (engineMethod) Name() string { return "sshshare (mux door, OpenSSH engine)" }
func (engineMethod) Key() string  { return "sshshare-engine" }
func (engineMethod) Host() string { return "engine" }
