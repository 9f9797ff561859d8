// Package setup writes sshshare into a user's ssh config: the Host block
// that sends matching hosts through sshshare (Block), the one Include line
// at the top of ~/.ssh/config that reads it (AddInclude, RemoveInclude),
// and the checks and diff around changing that file (CheckParsable, Diff,
// Install, Uninstall).
//
// ssh takes the first value it reads for each keyword, so sshshare's
// block is included before everything else in ~/.ssh/config: before the
// user's own blocks, a `Host *` with `ControlMaster auto` among them. The
// user's route lines (ProxyJump, ProxyCommand) of the same hosts stay
// where they are: ssh runs sshshare's ProxyCommand, and the master reads
// the config without sshshare's line, so the route is the master's.
package setup
