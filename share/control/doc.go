// Package control is the contract between sshshare binaries that may be of
// different versions: the invocation (or a command such as status) and a
// running master, which outlives the binary that started it.
//
// It holds what crosses a master's Unix socket (length-prefixed JSON
// frames: a Hello, then a Reply, then the operation's bytes), what lands on
// disk beside the socket or in the state directory (the registry of
// masters, the .failed and .stopped side files, the log path), and the
// report pipe of a spawned master. Everything here is read by other
// versions: frames only grow, and version.go says how versions meet.
package control
