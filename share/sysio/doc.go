// Package sysio is sshshare's operating-system plumbing: the transport
// between an invocation and its master (a Unix socket, or on Windows a
// named pipe its marker file names), handing ssh's stdio from an
// invocation to the master over a Unix socket (SCM_RIGHTS), the peer
// credentials of a local connection (a uid, or on Windows a user SID),
// raw, buffered and batched I/O on the master's descriptors, pipe sizes,
// the modes and size of the terminal a mux client passes, and the one
// check that a directory is private to the user. OS differences live in
// _linux, _darwin, _unix, _windows and _other files.
package sysio
