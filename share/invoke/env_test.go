package invoke

import (
	"slices"
	"testing"
)

// TestMasterEnv: a master keeps what it and its commands need, and what
// SSHSHARE_PASS_ENV names; not tokens, LD_PRELOAD or GOTRACEBACK; and its
// runtime clears freed memory.
func TestMasterEnv(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    []string
	}{
		{"allowed", []string{"HOME=/h", "PATH=/bin", "SSH_AUTH_SOCK=/a", "LC_ALL=C", "XDG_RUNTIME_DIR=/run/u", "KRB5CCNAME=FILE:/k", "SSHSHARE_PERSIST=1m", "https_proxy=http://p"},
			[]string{"HOME=/h", "PATH=/bin", "SSH_AUTH_SOCK=/a", "LC_ALL=C", "XDG_RUNTIME_DIR=/run/u", "KRB5CCNAME=FILE:/k", "SSHSHARE_PERSIST=1m", "https_proxy=http://p", "GODEBUG=clobberfree=1"}},
		{"left out", []string{"API_TOKEN=x", "LD_PRELOAD=/evil.so", "GOTRACEBACK=crash", "TERM=xterm", "SSH_CONNECTION=1 2 3 4", "PWD=/w", "broken"},
			[]string{"GODEBUG=clobberfree=1"}},
		{"pass env", []string{"SSHSHARE_PASS_ENV=AWS_* ,VAULT_ADDR", "AWS_PROFILE=p", "VAULT_ADDR=v", "VAULT_TOKEN=t"},
			[]string{"SSHSHARE_PASS_ENV=AWS_* ,VAULT_ADDR", "AWS_PROFILE=p", "VAULT_ADDR=v", "GODEBUG=clobberfree=1"}},
		{"pass all", []string{"SSHSHARE_PASS_ENV=*", "API_TOKEN=x", "GOTRACEBACK=crash"},
			[]string{"SSHSHARE_PASS_ENV=*", "API_TOKEN=x", "GODEBUG=clobberfree=1"}},
		{"godebug kept", []string{"GODEBUG=http2client=0"}, []string{"GODEBUG=http2client=0,clobberfree=1"}},
		{"godebug turned off", []string{"GODEBUG=clobberfree=0"}, []string{"GODEBUG=clobberfree=0"}},
		{"godebug on", []string{"GODEBUG=clobberfree=1"}, []string{"GODEBUG=clobberfree=1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := MasterEnv(tc.environ); !slices.Equal(got, tc.want) {
				t.Errorf("MasterEnv(%q) = %q; want %q", tc.environ, got, tc.want)
			}
		})
	}
}
