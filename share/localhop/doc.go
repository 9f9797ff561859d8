// Package localhop holds the identity of the "local hop", the SSH session
// between a local ssh and the master that terminates it: the per-user
// local host keys, the known_hosts file that lets ssh accept them for any
// host name, and the check that the user's ssh config will accept them
// before a master starts.
//
// Security: the keys live in the private state directory; a local client
// is trusted because only its owner (or root) can reach the master's
// socket, and the key proves to ssh that it reached a master of this user.
package localhop
