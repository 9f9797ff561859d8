package upstream

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/sshshare/sshshare/share/sysio"
)

// ProbeHost is a host name no Host block names on purpose: what ssh -G
// prints for it is what the config gives every host (its `Host *` and
// unconditional lines).
const ProbeHost = "sshshare-scope-probe.invalid"

// Everywhere returns what `ssh -G` prints for ProbeHost with the user's
// own config (not the master's view: sshshare's ProxyCommand stays in),
// as keyword → value. Like any `ssh -G`, it runs the config's `Match exec`
// commands that apply, here for ProbeHost.
func (l ConfigLoader) Everywhere(ctx context.Context) (map[string]string, error) {
	bin := l.SSH
	if bin == "" {
		bin = "ssh"
	}
	args := []string{"-G"}
	if l.ConfigFile != "" {
		args = append(args, "-F", l.ConfigFile)
	}
	args = append(append(args, l.Args...), "--", ProbeHost)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := sysio.NoWindow(exec.CommandContext(ctx, bin, args...))
	cmd.Dir = sysio.StartDir() // the directory relative -F and Match exec see, as for Load
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("ssh -G %s: %w", ProbeHost, err)
	}
	values := make(map[string]string)
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		key, value, _ := strings.Cut(sc.Text(), " ")
		values[key] = value
	}
	return values, sc.Err()
}
