package main

import (
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
)

// kongParse parses args with kong and returns the command it would run.
func kongParse(t *testing.T, args []string) (any, error) {
	t.Helper()
	var cli CLI
	parser, err := newParser(&cli, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var ctx interface{ Command() string }
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = errExited
			}
		}()
		ctx, err = parser.Parse(args)
	}()
	if err != nil {
		return nil, err
	}
	switch cmd := ctx.Command(); {
	case strings.HasPrefix(cmd, "proxy"):
		return cli.Proxy, nil
	case strings.HasPrefix(cmd, "known-hosts"):
		return cli.KnownHosts, nil
	default:
		return cmd, nil
	}
}

// errExited stands for kong asking to exit (help, --version).
var errExited = errors.New("kong exited")

func TestFastParseAgreesWithKong(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		fast bool // fastParse must take it
	}{
		{args: []string{"known-hosts", "example.com"}, fast: true},
		{args: []string{"known-hosts", "[10.0.0.1]:2222"}, fast: true},
		{args: []string{"root", "10.5.0.1", "22"}, fast: true},
		{args: []string{"proxy", "root", "10.5.0.1", "22"}, fast: true},
		{args: []string{"-F", "/c", "--alias", "web", "--control-path", "/s/%C", "u", "h", "2222"}, fast: true},
		{args: []string{"--config=/c", "--alias=", "--persist=5m", "--via", "a@b:2,c", "u", "h", "2222"}, fast: true},
		{args: []string{"--persist", "90s", "u", "h", "22"}, fast: true},
		{args: []string{"--mux-path", "/m/%n.mux", "u", "h", "22"}, fast: true},
		{args: []string{"u", "h", "22"}, env: map[string]string{"SSHSHARE_MUX_PATH": "/e/%n.mux"}, fast: true},
		{args: []string{"u", "h", "22"}, env: map[string]string{"SSHSHARE_PERSIST": "3m", "SSHSHARE_CONFIG": "/e",
			"SSHSHARE_CONTROL_PATH": "/e/%C"}, fast: true},
		{args: []string{"--persist", "1m", "-F", "/f", "u", "h", "22"}, env: map[string]string{"SSHSHARE_PERSIST": "3m",
			"SSHSHARE_CONFIG": "/e"}, fast: true},
		{args: []string{"status"}},
		{args: []string{"stop", "--all"}},
		{args: []string{"path", "u", "h", "22"}},
		{args: []string{"version"}},
		{args: []string{"--version"}},
		{args: []string{"--help"}},
		{args: []string{"known-hosts"}},
		{args: []string{"known-hosts", "-x"}},
		{args: []string{"u", "h"}},
		{args: []string{"u", "h", "22", "extra"}},
		{args: []string{"u", "h", "22", "--alias", "x"}},
		{args: []string{"--persist", "soon", "u", "h", "22"}},
		{args: []string{"--bogus", "u", "h", "22"}},
		{args: []string{"--alias", "a", "--alias", "b", "u", "h", "22"}},
		{args: []string{"-Fx", "u", "h", "22"}},
		{args: []string{"u", "h", "22"}, env: map[string]string{"SSHSHARE_PERSIST": "never"}},
		{args: []string{"u", "h", "22"}, env: map[string]string{"SSHSHARE_CONFIG": ""}},
		{args: []string{"--keep-orphans", "u", "h", "22"}},
		{args: []string{"u", "h", "22"}, env: map[string]string{"SSHSHARE_KEEP_ORPHANS": "1"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			for _, name := range []string{"SSHSHARE_PERSIST", "SSHSHARE_CONFIG", "SSHSHARE_CONTROL_PATH", "SSHSHARE_MUX_PATH", "SSHSHARE_KEEP_ORPHANS"} {
				v, ok := tt.env[name]
				if !ok {
					v = ""
				}
				t.Setenv(name, v)
				if !ok {
					unsetenv(t, name)
				}
			}
			fast, ok := fastParse(tt.args)
			if ok != tt.fast {
				t.Fatalf("fastParse took it: %v; want %v", ok, tt.fast)
			}
			if !ok {
				return
			}
			want, err := kongParse(t, tt.args)
			if err != nil {
				t.Fatalf("kong: %v; fastParse: %+v", err, fast)
			}
			if !reflect.DeepEqual(fast, want) {
				t.Errorf("fastParse: %+v\nkong:      %+v", fast, want)
			}
		})
	}
}

// unsetenv removes name for the rest of the test (t.Setenv restores it).
func unsetenv(t *testing.T, name string) {
	t.Helper()
	if err := os.Unsetenv(name); err != nil {
		t.Fatal(err)
	}
}
