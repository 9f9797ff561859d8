package control

import (
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sshshare/sshshare/share/hint"
)

// A master whose login fails leaves a failure record beside its socket.
// Invocations that were waiting on the start-up lock while that login ran
// return the same error instead of each trying (and failing) again: with
// BatchMode and no key, ten waiting invocations fail at once, the same way.

// failurePath is the failure record for socket.
func failurePath(socket string) string { return socket + ".failed" }

// failureRecord is what the record holds.
type failureRecord struct {
	Error string    `json:"error"`
	Hint  string    `json:"hint,omitempty"`
	Time  time.Time `json:"time"`
}

// RecordFailure writes the record for a failed login.
func RecordFailure(socket string, err error) {
	b, jerr := json.Marshal(failureRecord{Error: err.Error(), Hint: hint.Of(err), Time: time.Now()})
	if jerr == nil {
		os.WriteFile(failurePath(socket), b, 0o600)
	}
}

// RecentFailure returns the recorded failure if it happened after since.
func RecentFailure(socket string, since time.Time) error {
	b, err := os.ReadFile(failurePath(socket))
	if err != nil {
		return nil
	}
	var rec failureRecord
	if json.Unmarshal(b, &rec) != nil || rec.Time.Before(since) {
		return nil
	}
	return &hint.Error{Err: errors.New(rec.Error), Fix: rec.Hint}
}

// stoppedPath marks a master stopped on request, so its clients'
// invocations can say so.
func stoppedPath(socket string) string { return socket + ".stopped" }

// RecordStop notes that master pid for socket was stopped on request.
func RecordStop(socket string, pid int) {
	os.WriteFile(stoppedPath(socket), []byte(strconv.Itoa(pid)+"\n"), 0o600)
}

// WasStopped reports whether master pid for socket was stopped on request
// in the last minute.
func WasStopped(socket string, pid int) bool {
	b, err := os.ReadFile(stoppedPath(socket))
	if err != nil || pid == 0 || strings.TrimSpace(string(b)) != strconv.Itoa(pid) {
		return false
	}
	info, err := os.Stat(stoppedPath(socket))
	return err == nil && time.Since(info.ModTime()) < time.Minute
}
