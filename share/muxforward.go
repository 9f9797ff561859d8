package share

import (
	"errors"

	"github.com/sshshare/sshshare/share/mux"
)

// errMuxForward: forwards over the mux door are not served yet (stub).
var errMuxForward = errors.New("forwarding over sshshare's mux door is not supported")

// openMuxForward sets up the forward f for a mux client (stub).
func (m *Master) openMuxForward(mux.Forward) (uint32, error) { return 0, errMuxForward }

// closeMuxForward cancels a mux forward (stub).
func (m *Master) closeMuxForward(mux.Forward) error { return errMuxForward }

// closeMuxForwards cancels every mux forward (stub).
func (m *Master) closeMuxForwards() {}
