package integration

import (
	"strconv"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

// sshTimeout bounds one ssh command in these tests.
const sshTimeout = 30 * time.Second

// TestPlainSSH checks the harness itself: stock ssh logs in to the
// harness sshd directly and through a delaying relay.
func TestPlainSSH(t *testing.T) {
	const delay = 25 * time.Millisecond
	for _, tc := range []struct {
		name    string
		delay   time.Duration
		relayed bool
	}{
		{name: "direct"},
		{name: "relay", delay: delay, relayed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sshd := harness.StartSSHD(t, harness.SSHDOptions{})
			c := harness.NewClient(t, sshd)
			var relay *harness.Relay
			if tc.relayed {
				relay = harness.NewRelay(t, sshd.Addr(), tc.delay)
				c.AddHost("target", "Port "+strconv.Itoa(relay.Port()))
			} else {
				c.AddHost("target")
			}

			res := harness.Run(t, sshTimeout, c.SSH("target", "echo", "hello"))
			if res.Code != 0 || string(res.Stdout) != "hello\n" {
				t.Fatalf("ssh target echo hello: %s; want exit 0, stdout \"hello\\n\"", res)
			}
			if got := sshd.Logins(); got != 1 {
				t.Errorf("Logins() = %d after one ssh; want 1", got)
			}
			if tc.relayed {
				// Key exchange, auth and the session take several round
				// trips; fewer than 3 would mean the delay is not real.
				if floor := 3 * 2 * tc.delay; res.Elapsed < floor {
					t.Errorf("relayed ssh took %v; want >= %v", res.Elapsed, floor)
				}
				t.Logf("ssh through %v one-way delay: %v", tc.delay, res.Elapsed)
			}

			res = harness.Run(t, sshTimeout, c.SSH("target", "exit 44"))
			if res.Code != 44 {
				t.Errorf("ssh target 'exit 44': %s; want exit 44", res)
			}
			if got := sshd.Logins(); got != 2 {
				t.Errorf("Logins() = %d after two ssh; want 2", got)
			}
			if tc.relayed {
				if got := relay.Conns(); got != 2 {
					t.Errorf("relay.Conns() = %d; want 2", got)
				}
			}
		})
	}
}
