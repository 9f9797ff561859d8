package share

import (
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/sshshare/sshshare/share/upstream"
	"golang.org/x/crypto/ssh"
)

func TestRefusal(t *testing.T) {
	bastion := upstream.Target{User: "ops", Host: "bastion", Port: 22}
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
