package share

import (
	"io"
	"sync"
)

// loginStderr is the starting ssh's stderr, lent to the master for its
// login (MasterConfig.Stderr): writes after Close are dropped, so what a
// ProxyCommand prints later goes only to the log.
type loginStderr struct {
	mu sync.Mutex
	w  io.WriteCloser // nil once closed
}

// newLoginStderr wraps w; a nil w makes a loginStderr that drops everything.
func newLoginStderr(w io.WriteCloser) *loginStderr { return &loginStderr{w: w} }

// Write writes p to the stderr while it is lent; it never fails, as what
// it carries is also in the log.
func (s *loginStderr) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w != nil {
		s.w.Write(p)
	}
	return len(p), nil
}

// Close gives the stderr back: it is closed, and later writes dropped.
func (s *loginStderr) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return nil
	}
	err := s.w.Close()
	s.w = nil
	return err
}
