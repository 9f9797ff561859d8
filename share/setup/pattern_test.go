package setup

import "testing"

func TestValidatePattern(t *testing.T) {
	for _, ok := range []string{"web-*", "10.5.*", "!bastion", "db?.example.com", "a,b", "[::1]"} {
		if err := ValidatePattern(ok); err != nil {
			t.Errorf("ValidatePattern(%q) = %v; want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "a b", "a\tb", "h\nProxyCommand evil", "h\r", "a#b", `"h"`, "h'", `a\b`, "!", "h\x00", "h\x7f"} {
		if err := ValidatePattern(bad); err == nil {
			t.Errorf("ValidatePattern(%q) = nil; want an error", bad)
		}
	}
}
