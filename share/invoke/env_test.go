package invoke

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMasterEnv: a master's own environment keeps what it and its
// commands need; not tokens, LD_PRELOAD or GOTRACEBACK; and its runtime
// clears freed memory.
func TestMasterEnv(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    []string
	}{
		{"allowed", []string{"HOME=/h", "PATH=/bin", "SSH_AUTH_SOCK=/a", "LC_ALL=C", "XDG_RUNTIME_DIR=/run/u", "KRB5CCNAME=FILE:/k", "SSHSHARE_PERSIST=1m", "https_proxy=http://p"},
			[]string{"HOME=/h", "PATH=/bin", "SSH_AUTH_SOCK=/a", "LC_ALL=C", "XDG_RUNTIME_DIR=/run/u", "KRB5CCNAME=FILE:/k", "SSHSHARE_PERSIST=1m", "https_proxy=http://p", "GODEBUG=clobberfree=1"}},
		{"left out", []string{"API_TOKEN=x", "AWS_SESSION_TOKEN=t", "LD_PRELOAD=/evil.so", "GOTRACEBACK=crash", "TERM=xterm", "SSH_CONNECTION=1 2 3 4", "PWD=/w", "broken"},
			[]string{"GODEBUG=clobberfree=1"}},
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

// TestEnvironPipe: the whole environment goes from invocation to master
// through a pipe, whatever is in the values, less GOTRACEBACK and the
// descriptor variables; the master sets all but the runtime's variables.
func TestEnvironPipe(t *testing.T) {
	big := strings.Repeat("x", 200<<10) // more than a pipe holds at once
	environ := []string{"AWS_PROFILE=p", "AWS_SESSION_TOKEN=a=b=c", "EMPTY=", "LD_PRELOAD=/lib/x.so",
		"MULTI=line one\nline two", "BIG=" + big, "PATH=/bin", "GODEBUG=http2client=0", "GOGC=50",
		"GOMEMLIMIT=1GiB", "GOMAXPROCS=2", "GOTRACEBACK=crash", "SSHSHARE_READY_FD=3",
		"SSHSHARE_STDERR_FD=4", "SSHSHARE_ENV_FD=5", "SSHSHARE_PERSIST=1m", "broken", "=C:=C:\\"}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	done := make(chan error, 1)
	go func() {
		w.SetWriteDeadline(time.Now().Add(10 * time.Second))
		done <- WriteEnviron(w, environ)
		w.Close()
	}()
	r.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := ReadEnviron(r)
	if err != nil {
		t.Fatalf("ReadEnviron: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("WriteEnviron: %v", err)
	}
	want := []string{"AWS_PROFILE=p", "AWS_SESSION_TOKEN=a=b=c", "EMPTY=", "LD_PRELOAD=/lib/x.so",
		"MULTI=line one\nline two", "BIG=" + big, "PATH=/bin", "GODEBUG=http2client=0", "GOGC=50",
		"GOMEMLIMIT=1GiB", "GOMAXPROCS=2", "SSHSHARE_PERSIST=1m"}
	if !slices.Equal(got, want) {
		t.Errorf("read %.300q; want %.300q", got, want)
	}
	var set []string
	for _, kv := range CommandEnv(got) {
		set = append(set, kv[0]+"="+kv[1])
	}
	wantSet := []string{"AWS_PROFILE=p", "AWS_SESSION_TOKEN=a=b=c", "EMPTY=", "LD_PRELOAD=/lib/x.so",
		"MULTI=line one\nline two", "BIG=" + big, "PATH=/bin", "SSHSHARE_PERSIST=1m"}
	if !slices.Equal(set, wantSet) {
		t.Errorf("CommandEnv = %.300q; want %.300q", set, wantSet)
	}
}

// TestEnvironPipeTruncated: an environment cut short (an invocation that
// died while writing) or garbage is an error, not part of an environment.
func TestEnvironPipeTruncated(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteEnviron(&buf, []string{"A=1", "B=2"}); err != nil {
		t.Fatal(err)
	}
	whole := buf.Bytes()
	for n := range len(whole) {
		if got, err := ReadEnviron(bytes.NewReader(whole[:n])); err == nil {
			t.Errorf("ReadEnviron of %d of %d bytes = %q; want an error", n, len(whole), got)
		}
	}
	if _, err := ReadEnviron(strings.NewReader("\xff\xff\xff\xffA=1\x00")); err == nil {
		t.Error("ReadEnviron of a 4 GB length: no error")
	}
	if got, err := ReadEnviron(bytes.NewReader(whole)); err != nil || !slices.Equal(got, []string{"A=1", "B=2"}) {
		t.Errorf("ReadEnviron = %q, %v; want A=1 B=2", got, err)
	}
}
