package integration

import (
	"strings"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

// TestMuxRival: a Host block that names sshshare's mux socket
// as its ControlPath with ControlMaster auto or yes would make the cold
// ssh an OpenSSH master on sshshare's path once the ProxyCommand login
// succeeded. sshshare refuses it: one sshshare line naming ControlMaster,
// a hint, exit 255.
func TestMuxRival(t *testing.T) {
	for _, value := range []string{"auto", "yes"} {
		t.Run(value, func(t *testing.T) {
			e := newShareEnv(t, harness.SSHDOptions{})
			const alias = "rival"
			// AddMuxHost's own ControlMaster no comes after, so this one wins.
			e.c.AddMuxHost(alias, e.bin, "ControlMaster "+value)
			res := harness.Run(t, sshTimeout, e.c.SSH(alias, "true"))
			var said, hints []string
			for _, line := range muxStderrLines(res.Stderr) {
				switch {
				case strings.HasPrefix(line, "sshshare: hint: "):
					hints = append(hints, line)
				case strings.HasPrefix(line, "sshshare: "):
					said = append(said, line)
				}
			}
			if res.Code != 255 {
				t.Errorf("ssh %s true with ControlMaster %s: exit %d; want 255\n%s", alias, value, res.Code, res)
			}
			if len(said) != 1 || !strings.Contains(said[0], "ControlMaster") || len(hints) != 1 {
				t.Errorf("ssh %s true with ControlMaster %s: stderr %q; want one sshshare line naming ControlMaster and one hint",
					alias, value, res.Stderr)
			}
			if ms := e.c.MuxMasters(e.bin); len(ms) != 0 {
				t.Logf("masters after the refusal: %+v", ms)
			}
		})
	}
}
