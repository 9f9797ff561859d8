package upstream

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in   string
		want Target
	}{
		{"host", Target{Host: "host"}},
		{"bob@host", Target{User: "bob", Host: "host"}},
		{"host:2222", Target{Host: "host", Port: 2222}},
		{"bob@host:2222", Target{User: "bob", Host: "host", Port: 2222}},
		{"bob@10.0.0.5:22", Target{User: "bob", Host: "10.0.0.5", Port: 22}},
		{"[::1]:22", Target{Host: "::1", Port: 22}},
		{"bob@[::1]:2222", Target{User: "bob", Host: "::1", Port: 2222}},
		{"[::1]", Target{Host: "::1"}},
		{"::1", Target{Host: "::1"}},
		{"fe80::1%eth0", Target{Host: "fe80::1%eth0"}},
		{"a@b@host", Target{User: "a@b", Host: "host"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTarget(tt.in)
			if err != nil {
				t.Fatalf("ParseTarget(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseTarget(%q): got %+v; want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseTargetErrors(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", "want [user@]host[:port]"},
		{"bob@", "want [user@]host[:port]"},
		{":22", "want [user@]host[:port]"},
		{"host:0", `bad port "0"`},
		{"host:65536", `bad port "65536"`},
		{"host:-1", `bad port "-1"`},
		{"host:ssh", `bad port "ssh"`},
		{"[::1]:x", `bad port "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseTarget(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseTarget(%q): got error %v; want one containing %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestParsePort(t *testing.T) {
	tests := []struct {
		in     string
		want   int
		wantOK bool
	}{
		{"1", 1, true},
		{"22", 22, true},
		{"65535", 65535, true},
		{"0", 0, false},
		{"65536", 0, false},
		{"", 0, false},
		{" 22", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePort(tt.in)
			if (err == nil) != tt.wantOK || got != tt.want {
				t.Errorf("ParsePort(%q): got %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.wantOK)
			}
		})
	}
}

func TestTargetString(t *testing.T) {
	tests := []struct {
		t    Target
		want string
	}{
		{Target{User: "bob", Host: "host", Port: 22}, "bob@host:22"},
		{Target{User: "bob", Host: "::1", Port: 2222}, "bob@[::1]:2222"},
		{Target{User: "bob", Host: "10.0.0.5", Port: 22, Alias: "web"}, "bob@10.0.0.5:22"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.t.String(); got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

func TestTargetConfigHost(t *testing.T) {
	if got := (Target{Host: "10.0.0.5", Alias: "web"}).configHost(); got != "web" {
		t.Errorf("with alias: got %q; want %q", got, "web")
	}
	if got := (Target{Host: "10.0.0.5"}).configHost(); got != "10.0.0.5" {
		t.Errorf("without alias: got %q; want %q", got, "10.0.0.5")
	}
}

func TestParseVia(t *testing.T) {
	tests := []struct {
		in   string
		want []Target
	}{
		{"bastion", []Target{{Host: "bastion"}}},
		{"ops@bastion:2222", []Target{{User: "ops", Host: "bastion", Port: 2222}}},
		{"a,bob@b:2200, [::1]:22", []Target{
			{Host: "a"},
			{User: "bob", Host: "b", Port: 2200},
			{Host: "::1", Port: 22},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseVia(tt.in)
			if err != nil {
				t.Fatalf("ParseVia(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseVia(%q): got %+v; want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseViaErrors(t *testing.T) {
	for _, in := range []string{"", "a,,b", "a,", "bastion:0", "a,b:ssh"} {
		t.Run(in, func(t *testing.T) {
			_, err := ParseVia(in)
			if err == nil || !strings.HasPrefix(err.Error(), "--via: ") {
				t.Errorf("ParseVia(%q): got %v; want an error starting with --via:", in, err)
			}
		})
	}
}
