package sysio

// fionread is FIONREAD (_IOR('f', 127, int)), which x/sys/unix does not
// name for Darwin.
const fionread = 0x4004667f
