package main

import (
	"fmt"
	"io"
	"runtime/debug"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version string

// buildVersion is the version set at build time, else the module version
// the binary was built from, else "devel".
func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "devel"
}

// VersionCmd prints the version.
type VersionCmd struct{}

// Run prints "sshshare VERSION".
func (VersionCmd) Run(stdout io.Writer) error {
	_, err := fmt.Fprintf(stdout, "sshshare %s\n", buildVersion())
	return err
}
