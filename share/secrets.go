package share

import (
	"runtime"
	"time"
)

// What a master keeps, and for how long:
//
//   - Passwords, keyboard-interactive answers and key passphrases pass
//     through it once, during the first login: from the local ssh's
//     packet (x/crypto makes them strings) to the upstream's packet, which
//     is encrypted in place. x/crypto's API takes and gives them as
//     strings, which Go cannot clear, so the master does not try to hold
//     them in []byte; it lets every copy become garbage as the login ends,
//     and collects it then (forgetLogin), in a runtime started with
//     GODEBUG=clobberfree=1 (invoke.MasterEnv), which overwrites memory as
//     it frees it.
//   - A decrypted identity file is decrypted only when the server accepts
//     its public key, used for that login's signature, and dropped with
//     the login (cleared where the key type allows), then collected the
//     same way. Pooled logins and heals never ask, so they do not use an
//     encrypted key; they use the agent and unencrypted key files, which
//     they read again each time.
//   - What a master keeps for its life is the upstream connection itself
//     (its session keys, in x/crypto), which is what it is for.

// forgetDelay is when forgetLogin collects a second time: the local ssh
// that answered the login's questions lets go of its answers only once it
// has heard the login's outcome.
const forgetDelay = time.Second

// forgetLogin collects the garbage the login left (answers, packets, a
// decrypted key), now and once the clients that answered have moved on,
// so a runtime that clears freed memory clears it.
func forgetLogin() {
	runtime.GC()
	time.AfterFunc(forgetDelay, runtime.GC)
}
