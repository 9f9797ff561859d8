//go:build sshshare_nextproto

package control

// protocolVersion is the protocol of a build with the sshshare_nextproto
// tag: one more than a normal build's, so the integration tests can run
// masters of two versions side by side, as after an upgrade.
const protocolVersion = 2
