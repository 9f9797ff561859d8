// Package invoke is the short-lived side of sshshare: what runs each time
// ssh starts sshshare as its ProxyCommand, and what `sshshare start` uses.
//
// An Invocation reaches the master for its target over the control socket
// (the fast path, no lock), or takes the start-up lock, clears the way and
// spawns one (the slow path), then hands ssh's stdio over to the master or
// relays it. In tunnel mode a Chain brings up the masters of the jump hosts
// in order and splices stdio to a direct-tcpip channel of the last. It
// never reads the process environment or the terminal itself: the command
// line passes in what it needs (PromptEnv, Prompt, the environment to spawn
// with).
package invoke
