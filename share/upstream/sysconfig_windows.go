package upstream

import (
	"os"
	"path/filepath"
)

// systemConfig is where Win32-OpenSSH reads its system-wide config:
// __PROGRAMDATA__\ssh\ssh_config, %ProgramData% being C:\ProgramData
// unless the system says otherwise.
func systemConfig() string {
	dir := os.Getenv("ProgramData")
	if dir == "" {
		dir = `C:\ProgramData`
	}
	return filepath.Join(dir, "ssh", "ssh_config")
}
