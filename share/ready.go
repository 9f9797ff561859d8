package share

import (
	"os"

	"github.com/sshshare/sshshare/share/control"
	"github.com/sshshare/sshshare/share/hint"
)

// ReadyPipe carries a spawned master's reports to its invocation (see
// control.ReadyFDEnv): one when it listens, one when its login has
// finished.
type ReadyPipe struct{ f *os.File }

// NewReadyPipe reports on f; a nil f makes a pipe that reports nothing,
// for a master started without one.
func NewReadyPipe(f *os.File) *ReadyPipe {
	if f == nil {
		return nil
	}
	return &ReadyPipe{f: f}
}

// Report sends one report: nil means success. Warnings are lines for the
// invocation to show its user.
func (p *ReadyPipe) Report(err error, warnings ...string) {
	if p == nil {
		return
	}
	reply := control.Reply{OK: err == nil, Warnings: warnings}
	if err != nil {
		reply.Error, reply.Hint = err.Error(), hint.Of(err)
	}
	control.WriteReply(p.f, reply)
}

// Close closes the pipe; the invocation sees EOF.
func (p *ReadyPipe) Close() {
	if p != nil {
		p.f.Close()
	}
}
