package share

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

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

func TestRefusal(t *testing.T) {
	bastion := Target{User: "ops", Host: "bastion", Port: 22}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"connect failed", &ssh.OpenChannelError{Reason: ssh.ConnectionFailed, Message: "connect failed"},
			"bastion refused db:5432: connect failed"},
		{"no message", &ssh.OpenChannelError{Reason: ssh.ConnectionFailed},
			"bastion refused db:5432: connect failed"},
		{"with message", &ssh.OpenChannelError{Reason: ssh.ConnectionFailed, Message: "Connection refused"},
			"bastion refused db:5432: connect failed (Connection refused)"},
		{"prohibited", &ssh.OpenChannelError{Reason: ssh.Prohibited, Message: "open failed"},
			"bastion refused db:5432: administratively prohibited (open failed)"},
		{"wrapped", errors.Join(errors.New("context"), &ssh.OpenChannelError{Reason: ssh.ConnectionFailed}),
			"bastion refused db:5432: connect failed"},
		{"other error", io.EOF, "bastion ops@bastion:22: open db:5432: EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := refusal(bastion, "db:5432", tt.err); got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

func TestTunnelsCount(t *testing.T) {
	var tl tunnels
	if n, targets := tl.snapshot(); n != 0 || len(targets) != 0 {
		t.Fatalf("empty: got %d %q; want 0 []", n, targets)
	}
	doneA1 := tl.add("a:22")
	doneA2 := tl.add("a:22")
	doneB := tl.add("b:22")
	if n, targets := tl.snapshot(); n != 3 || len(targets) != 2 {
		t.Errorf("three tunnels to two targets: got %d %q", n, targets)
	}
	doneA1()
	doneB()
	if n, targets := tl.snapshot(); n != 1 || !reflect.DeepEqual(targets, []string{"a:22"}) {
		t.Errorf("one left: got %d %q; want 1 [a:22]", n, targets)
	}
	doneA2()
	if n, targets := tl.snapshot(); n != 0 || len(targets) != 0 {
		t.Errorf("all done: got %d %q; want 0 []", n, targets)
	}
}
