package control

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sshshare/sshshare/share/hint"
	"github.com/sshshare/sshshare/share/sshtest"
)

func TestRecentFailure(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "m.sock")
	if err := RecentFailure(sock, time.Time{}); err != nil {
		t.Fatalf("no record: got %v; want nil", err)
	}
	before := time.Now().Add(-time.Second)
	RecordFailure(sock, hint.With(errors.New("log in to bob@host:22: permission denied"), "load a key into ssh-agent"))
	after := time.Now().Add(time.Second)

	sshtest.WantMode(t, failurePath(sock), 0o600)

	tests := []struct {
		name  string
		since time.Time
		want  bool
	}{
		{"since before the failure", before, true},
		{"since after the failure", after, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := RecentFailure(sock, tt.since)
			if !tt.want {
				if err != nil {
					t.Errorf("got %v; want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("got nil; want the recorded failure")
			}
			if got, want := err.Error(), "log in to bob@host:22: permission denied"; got != want {
				t.Errorf("error: got %q; want %q", got, want)
			}
			if got, want := hint.Of(err), "load a key into ssh-agent"; got != want {
				t.Errorf("hint: got %q; want %q", got, want)
			}
		})
	}
}

func TestRecentFailureCorrupt(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "m.sock")
	if err := os.WriteFile(failurePath(sock), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := RecentFailure(sock, time.Time{}); err != nil {
		t.Errorf("got %v; want nil for an unreadable record", err)
	}
}
