// Package mux is the wire format of OpenSSH's connection-multiplexing
// protocol (PROTOCOL.mux, version 4), seen from the master's side: the
// packets a stock ssh client sends to a ControlPath socket when it runs with
// ControlMaster no, and the replies a master sends back.
//
// It exists so that an sshshare master can serve stock ssh in-process (issue
// 18) besides the ProxyCommand door. This package is only the codec: the
// framing (ReadPacket, WritePacket), one Go type per message, and Read and
// Write, which decode and encode a whole packet. It does no I/O beyond the
// reader or writer it is given and keeps no state; the order of exchanges,
// file-descriptor passing and policy belong to its callers.
//
// The layouts follow the project's note on the protocol
// (shared/notes/openssh-mux-protocol.md, §2 and §8), written from OpenSSH's
// sources and from probing OpenSSH 9.2, where PROTOCOL.mux is wrong: every
// "bool" is a 4-byte uint32, the stdio-forward port is a uint32, and the
// PROXY and EXT_INFO messages exist.
//
// Everything decoded here comes from whoever can connect to the socket, so
// it is untrusted: lengths are checked against MaxPacketSize before
// anything is allocated, and malformed packets are errors, never panics.
package mux
