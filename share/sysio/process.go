package sysio

import "net"

// ProcessArgs returns the command line of process pid, where the
// platform lets a process of the same user read it.
func ProcessArgs(pid int) ([]string, error) { return processArgs(pid) }

// ProcessDir returns the working directory of process pid, where the
// platform lets a process of the same user read it.
func ProcessDir(pid int) (string, error) { return processDir(pid) }

// ProcessEnv returns the value of the environment variable name in
// process pid's initial environment, and whether it is set there, where
// the platform lets a process of the same user read it.
func ProcessEnv(pid int, name string) (string, bool, error) { return processEnv(pid, name) }

// PeerPID returns the pid of the process at the other end of a master's
// connection, as the system recorded it at connect.
func PeerPID(conn net.Conn) (int, error) { return peerPID(conn) }

// ProcessParent returns the pid of process pid's parent, where the
// platform lets a process of the same user read it.
func ProcessParent(pid int) (int, error) { return processParent(pid) }
