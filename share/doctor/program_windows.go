package doctor

import (
	"io/fs"

	"github.com/sshshare/sshshare/share/upstream"
)

// commandWords splits a KnownHostsCommand into words as ssh does
// (argv_split): a backslash in a Windows path stays.
func commandWords(command string) []string { return upstream.SplitArgv(command) }

// runnable reports whether a file may run: Windows has no execute bit,
// and CreateProcess decides.
func runnable(fs.FileInfo) bool { return true }
