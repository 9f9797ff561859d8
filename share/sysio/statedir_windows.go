package sysio

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// currentUser is the SID of the user this process runs as.
var currentUser = sync.OnceValues(func() (*windows.SID, error) {
	tu, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("current user's SID: %w", err)
	}
	return tu.User.Sid.Copy()
})

// currentTrustees are the trustees (see trustees) for this process's user.
func currentTrustees() (trustees, error) {
	user, err := currentUser()
	if err != nil {
		return trustees{}, err
	}
	return newTrustees(user)
}

// checkOwnerAndMode refuses a directory owned by someone other than the
// user (SYSTEM and Administrators excepted), or whose DACL grants anyone
// else a write right (see securityProblem). Mode bits mean nothing here:
// Go reports every directory as 0777.
//
// Under Wine the verdict is Wine's, not Windows': Wine synthesises the
// owner and DACL from the Unix owner and mode bits (the owner is the
// user, the DACL grants SYSTEM, the user and, for a 0755 directory,
// Everyone read and execute), so the user's profile, created 0755,
// passes, as it does on Windows; a world-writable directory (Z:\tmp) is
// refused, as on Unix.
func checkOwnerAndMode(dir string, _ fs.FileInfo) error {
	t, err := currentTrustees()
	if err != nil {
		return fmt.Errorf("check directory %s: %w", dir, err)
	}
	sd, err := windows.GetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Errorf("check directory %s: read its owner and access list: %w", dir, err)
	}
	v := judge(sd, t)
	if v.problem == "" {
		return nil
	}
	return &DirError{Path: dir, Problem: v.problem, Fix: v.fix(dir)}
}

// fix is the command line that makes dir private again, for a hint.
func (v verdict) fix(dir string) string {
	grant := `icacls "` + dir + `" /inheritance:r /grant:r "%USERNAME%:(OI)(CI)F"`
	switch {
	case v.owner:
		return `remove it, or take it over (as an administrator): takeown /f "` + dir + `" && ` + grant
	case v.sid != "":
		return grant + " /remove:g *" + v.sid
	}
	return grant
}

// tighten gives dir, a private directory of the user's (see
// EnsureOwnDir), a protected DACL that grants the user alone, when its
// DACL grants anyone but the user, SYSTEM and Administrators any access
// at all: they could list which targets the user connects to. Under Wine
// the new DACL is accepted and not kept; nothing checks that it was.
func tighten(dir string) error {
	t, err := currentTrustees()
	if err != nil {
		return fmt.Errorf("check directory %s: %w", dir, err)
	}
	sd, err := windows.GetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Errorf("check directory %s: read its access list: %w", dir, err)
	}
	if !grantsOthers(sd, t) {
		return nil
	}
	private, err := ownerOnly(t.user)
	if err != nil {
		return err
	}
	dacl, _, err := private.DACL()
	if err == nil {
		err = windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
			windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
	}
	if err != nil {
		return &DirError{
			Path:    dir,
			Problem: fmt.Sprintf("is readable by others and its access list could not be tightened: %v", err),
			Fix:     verdict{}.fix(dir),
		}
	}
	return nil
}

// ownerOnly is a security descriptor whose protected DACL grants user
// full control, inherited by everything created inside, and nobody else
// anything.
func ownerOnly(user *windows.SID) (*windows.SECURITY_DESCRIPTOR, error) {
	sd, err := windows.SecurityDescriptorFromString("D:P(A;OICI;FA;;;" + user.String() + ")")
	if err != nil {
		return nil, fmt.Errorf("owner-only access list: %w", err)
	}
	return sd, nil
}

// mkdirPrivate creates dir and its missing parents, as os.MkdirAll does,
// each with ownerOnly's DACL from the start (CreateDirectory with the
// descriptor), so none is ever open to others, not even for a moment.
func mkdirPrivate(dir string) error {
	dir = filepath.Clean(dir)
	if info, err := os.Stat(dir); err == nil {
		if info.IsDir() {
			return nil
		}
		return &os.PathError{Op: "mkdir", Path: dir, Err: syscall.ENOTDIR}
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := mkdirPrivate(parent); err != nil {
			return err
		}
	}
	user, err := currentUser()
	if err != nil {
		return err
	}
	sd, err := ownerOnly(user)
	if err != nil {
		return err
	}
	path, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return &os.PathError{Op: "mkdir", Path: dir, Err: err}
	}
	sa := &windows.SecurityAttributes{SecurityDescriptor: sd}
	sa.Length = uint32(unsafe.Sizeof(*sa))
	err = windows.CreateDirectory(path, sa)
	if errors.Is(err, windows.ERROR_ALREADY_EXISTS) {
		if info, serr := os.Stat(dir); serr == nil && info.IsDir() {
			return nil // made meanwhile, by another invocation
		}
	}
	if err != nil {
		return &os.PathError{Op: "mkdir", Path: dir, Err: err}
	}
	return nil
}
