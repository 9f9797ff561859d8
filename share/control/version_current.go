//go:build !sshshare_nextproto

package control

// protocolVersion is the protocol of a normal build.
const protocolVersion = 1
