package upstream

import "testing"

// TestNoteLogLevel: the lines ssh logs at INFO ("Permanently added") reach
// the user unless LogLevel is QUIET, FATAL or ERROR, as with ssh.
func TestNoteLogLevel(t *testing.T) {
	for level, shown := range map[string]bool{"": true, "INFO": true, "VERBOSE": true, "DEBUG3": true,
		"ERROR": false, "FATAL": false, "QUIET": false, "error": false} {
		var got []string
		d := &Dialer{Config: HostConfig{LogLevel: level}, Notes: func(l string) { got = append(got, l) }}
		d.note("Warning: Permanently added 'h' (ED25519) to the list of known hosts.")
		if (len(got) == 1) != shown {
			t.Errorf("LogLevel %q: notes %q; want shown %v", level, got, shown)
		}
	}
}
