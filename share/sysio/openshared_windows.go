package sysio

import (
	"os"

	"golang.org/x/sys/windows"
)

// OpenShared opens path for reading without standing in the way of its
// writer: on Windows a file os.Open holds cannot be renamed or deleted
// (no FILE_SHARE_DELETE), so a master could not rotate the log that
// `sshshare logs -f` reads.
func OpenShared(path string) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}
