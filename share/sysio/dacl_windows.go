package sysio

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// writeRights are the access rights with which someone could put a file
// into a directory, replace or delete one, or hand themselves more
// rights: any of them granted to another user makes a directory unsafe,
// as group or other write permission does on Unix.
const writeRights = windows.FILE_WRITE_DATA | // add a file
	0x4 | // FILE_APPEND_DATA: add a subdirectory
	0x40 | // FILE_DELETE_CHILD
	windows.FILE_WRITE_EA | windows.FILE_WRITE_ATTRIBUTES |
	windows.DELETE | windows.WRITE_DAC | windows.WRITE_OWNER |
	windows.GENERIC_WRITE | windows.GENERIC_ALL | windows.MAXIMUM_ALLOWED

// ACE types that grant access (winnt.h). The object variants keep the
// SID after two optional GUIDs, which this check does not parse: an ACE
// of theirs is refused as unreadable.
const (
	aceAllowed               = windows.ACCESS_ALLOWED_ACE_TYPE
	aceAllowedObject         = 0x5
	aceAllowedCallback       = 0x9
	aceAllowedCallbackObject = 0xB
)

// trustees are the principals a private directory may grant write
// access to: its user, and the two that administer the machine anyway
// (Windows' own profile directories grant both full control, and
// Win32-OpenSSH accepts them on its key files too).
type trustees struct{ user, system, admins *windows.SID }

// newTrustees returns the trustees for user.
func newTrustees(user *windows.SID) (trustees, error) {
	system, err := windows.CreateWellKnownSid(windows.WinLocalSystemSid)
	if err != nil {
		return trustees{}, fmt.Errorf("the SYSTEM account's SID: %w", err)
	}
	admins, err := windows.CreateWellKnownSid(windows.WinBuiltinAdministratorsSid)
	if err != nil {
		return trustees{}, fmt.Errorf("the Administrators group's SID: %w", err)
	}
	return trustees{user: user, system: system, admins: admins}, nil
}

// trusted reports whether sid is one of the trustees.
func (t trustees) trusted(sid *windows.SID) bool {
	return sid.Equals(t.user) || sid.Equals(t.system) || sid.Equals(t.admins)
}

// verdict is what judge found wrong with a directory's security
// descriptor: problem is "" when nothing is.
type verdict struct {
	problem string
	owner   bool   // the owner is the problem
	sid     string // the principal granted write access, when one is
}

// judge says what makes a directory with security descriptor sd unsafe
// for t.user: an owner other than a trustee, no DACL (which grants
// everyone everything), or an ACE that applies to the directory itself
// and grants another principal a write right. Deny ACEs are not weighed:
// they can only take rights away, and a reader that gave them credit
// could be fooled by their order.
func judge(sd *windows.SECURITY_DESCRIPTOR, t trustees) verdict {
	owner, _, err := sd.Owner()
	if err != nil || owner == nil {
		return verdict{problem: "has no owner that can be read", owner: true}
	}
	if !t.trusted(owner) {
		return verdict{problem: fmt.Sprintf("is owned by %s, not by you (%s)", accountName(owner), accountName(t.user)), owner: true}
	}
	var v verdict
	err = eachGrant(sd, func(sid *windows.SID, mask windows.ACCESS_MASK) bool {
		if mask&writeRights == 0 || t.trusted(sid) {
			return true
		}
		v = verdict{problem: fmt.Sprintf("is writable by %s (access mask %#x)", accountName(sid), uint32(mask)), sid: sid.String()}
		return false
	})
	if err != nil {
		return verdict{problem: err.Error()}
	}
	return v
}

// grantsOthers reports whether sd's DACL grants anyone but the trustees
// any access to the directory itself (or cannot be read).
func grantsOthers(sd *windows.SECURITY_DESCRIPTOR, t trustees) bool {
	others := false
	err := eachGrant(sd, func(sid *windows.SID, mask windows.ACCESS_MASK) bool {
		others = mask != 0 && !t.trusted(sid)
		return !others
	})
	return others || err != nil
}

// eachGrant calls f with the principal and rights of each ACE of sd's
// DACL that grants access to the object itself, until f returns false.
// It is an error for the DACL to be missing (everyone may do anything) or
// to hold a granting ACE it cannot read.
func eachGrant(sd *windows.SECURITY_DESCRIPTOR, f func(*windows.SID, windows.ACCESS_MASK) bool) error {
	dacl, _, err := sd.DACL()
	if err != nil || dacl == nil {
		return errors.New("has no access list, which lets everyone write there")
	}
	for i := range uint32(dacl.AceCount) {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, i, &ace); err != nil {
			return fmt.Errorf("has an access list that cannot be read (entry %d: %v)", i, err)
		}
		if ace.Header.AceFlags&windows.INHERIT_ONLY_ACE != 0 {
			continue // for what is created inside, not for the directory
		}
		switch ace.Header.AceType {
		case aceAllowed, aceAllowedCallback:
		case aceAllowedObject, aceAllowedCallbackObject:
			return fmt.Errorf("has an object access entry (type %#x) that this check cannot weigh", ace.Header.AceType)
		default:
			continue // deny, audit: they grant nothing
		}
		if !f((*windows.SID)(unsafe.Pointer(&ace.SidStart)), ace.Mask) {
			return nil
		}
	}
	return nil
}

// accountName is how a SID reads in a message: DOMAIN\name and the SID,
// or the SID alone when it names no account here.
func accountName(sid *windows.SID) string {
	account, domain, _, err := sid.LookupAccount("")
	if err != nil || account == "" {
		return sid.String()
	}
	if domain != "" {
		account = domain + `\` + account
	}
	return account + " (" + sid.String() + ")"
}
