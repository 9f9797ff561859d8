package doctor

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Config is what `ssh -G` prints for a host, as ssh itself resolves it
// (sshshare's own ProxyCommand line included): each keyword, lower case,
// with its values in order (identityfile and the like repeat).
type Config map[string][]string

// Get is the keyword's first value, "" when ssh -G printed none.
func (c Config) Get(key string) string {
	if v := c[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// sshGWait bounds one ssh -G: a `Match exec` may run a command.
const sshGWait = 10 * time.Second

// LoadConfig runs `ssh -G` for host with the config file (ssh's -F, ""
// for ssh's default files) and the extra options (-o ...) before it.
func LoadConfig(ctx context.Context, ssh, configFile, host string, extra ...string) (Config, error) {
	args := []string{"-G"}
	if configFile != "" {
		args = append(args, "-F", configFile)
	}
	args = append(append(args, extra...), "--", host)
	ctx, cancel := context.WithTimeout(ctx, sshGWait)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, ssh, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("ssh -G %s: %w: %s", host, err, strings.TrimSpace(stderr.String()))
	}
	return ParseConfig(out), nil
}

// ParseConfig reads the "keyword value" lines `ssh -G` prints.
func ParseConfig(out []byte) Config {
	c := make(Config)
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		key, value, _ := strings.Cut(sc.Text(), " ")
		if key != "" {
			key = strings.ToLower(key)
			c[key] = append(c[key], value)
		}
	}
	return c
}
