package sysio

import (
	"testing"

	"golang.org/x/sys/windows"
)

// testUser is the SID the SDDL cases below are judged for; other is
// another user's.
const (
	testUser  = "S-1-5-21-1-2-3-1001"
	testOther = "S-1-5-21-1-2-3-1002"
)

// testTrustees are the trustees for testUser.
func testTrustees(t *testing.T) trustees {
	t.Helper()
	user, err := windows.StringToSid(testUser)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := newTrustees(user)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestJudgeSDDL weighs fixed security descriptors, as real Windows
// reports them, for testUser: Wine synthesises its own from mode bits,
// so this is where the ACE logic is checked.
func TestJudgeSDDL(t *testing.T) {
	const profileDACL = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;" + testUser + ")"
	tests := []struct {
		name, sddl string
		problem    bool
		owner      bool
		sid        string
		others     bool // grantsOthers
	}{
		{name: "profile", sddl: "O:" + testUser + profileDACL},
		{name: "inherited profile", sddl: "O:" + testUser + "D:AI(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)(A;OICIID;FA;;;" + testUser + ")"},
		{name: "owned by Administrators", sddl: "O:BA" + profileDACL},
		{name: "owned by SYSTEM", sddl: "O:SY" + profileDACL},
		{name: "owned by another user", sddl: "O:" + testOther + profileDACL, problem: true, owner: true},
		{name: "everyone may read", sddl: "O:" + testUser + profileDACL + "(A;OICI;0x1200a9;;;WD)", others: true},
		{name: "users may write", sddl: "O:" + testUser + profileDACL + "(A;;FW;;;BU)", problem: true, sid: "S-1-5-32-545", others: true},
		{name: "authenticated users may modify, inherited", sddl: "O:" + testUser + "D:AI(A;OICIID;FA;;;" + testUser + ")(A;OICIID;0x1301bf;;;AU)", problem: true, sid: "S-1-5-11", others: true},
		{name: "another user may add a file", sddl: "O:" + testUser + profileDACL + "(A;;0x2;;;" + testOther + ")", problem: true, sid: testOther, others: true},
		{name: "another user may add a subdirectory", sddl: "O:" + testUser + profileDACL + "(A;;0x4;;;" + testOther + ")", problem: true, sid: testOther, others: true},
		{name: "another user may delete children", sddl: "O:" + testUser + profileDACL + "(A;;0x40;;;" + testOther + ")", problem: true, sid: testOther, others: true},
		{name: "everyone may change the access list", sddl: "O:" + testUser + profileDACL + "(A;;WD;;;WD)", problem: true, sid: "S-1-1-0", others: true},
		{name: "everyone generic all", sddl: "O:" + testUser + profileDACL + "(A;;GA;;;WD)", problem: true, sid: "S-1-1-0", others: true},
		{name: "everyone generic write", sddl: "O:" + testUser + profileDACL + "(A;;GW;;;WD)", problem: true, sid: "S-1-1-0", others: true},
		{name: "inherit-only write for everyone", sddl: "O:" + testUser + profileDACL + "(A;OICIIO;GA;;;WD)(A;OICIIO;GA;;;CO)"},
		{name: "deny does not make it safe", sddl: "O:" + testUser + "D:P(D;;FA;;;WD)(A;;FA;;;" + testUser + ")(A;;FA;;;WD)", problem: true, sid: "S-1-1-0", others: true},
		{name: "deny alone", sddl: "O:" + testUser + "D:P(D;;FA;;;" + testOther + ")(A;OICI;FA;;;" + testUser + ")"},
		{name: "owner only", sddl: "O:" + testUser + "D:P(A;OICI;FA;;;" + testUser + ")"},
		{name: "no DACL", sddl: "O:" + testUser, problem: true, others: true},
		{name: "empty DACL", sddl: "O:" + testUser + "D:P"},
	}
	tr := testTrustees(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sd, err := windows.SecurityDescriptorFromString(tt.sddl)
			if err != nil {
				t.Fatalf("parse %q: %v", tt.sddl, err)
			}
			v := judge(sd, tr)
			if got := v.problem != ""; got != tt.problem {
				t.Fatalf("judge(%s) = %q; want a problem: %v", tt.sddl, v.problem, tt.problem)
			}
			if v.owner != tt.owner || v.sid != tt.sid {
				t.Errorf("judge(%s) = owner %v, sid %q; want owner %v, sid %q", tt.sddl, v.owner, v.sid, tt.owner, tt.sid)
			}
			if got := grantsOthers(sd, tr); got != tt.others {
				t.Errorf("grantsOthers(%s) = %v; want %v", tt.sddl, got, tt.others)
			}
		})
	}
}

// TestJudgeNullDACL: a present but null DACL grants everyone everything.
// (Built by hand: Wine parses SDDL's NO_ACCESS_CONTROL as an empty DACL.)
func TestJudgeNullDACL(t *testing.T) {
	tr := testTrustees(t)
	sd, err := windows.NewSecurityDescriptor()
	if err != nil {
		t.Fatal(err)
	}
	if err := sd.SetOwner(tr.user, false); err != nil {
		t.Fatal(err)
	}
	if err := sd.SetDACL(nil, true, false); err != nil {
		t.Fatal(err)
	}
	if v := judge(sd, tr); v.problem == "" {
		t.Errorf("judge(%s) = no problem; want one", sd)
	}
	if !grantsOthers(sd, tr) {
		t.Errorf("grantsOthers(%s) = false; want true", sd)
	}
}

// TestVerdictFix: the hint names the directory, and the principal to
// take write access from.
func TestVerdictFix(t *testing.T) {
	dir := `C:\Users\me\.ssh\sshshare`
	tests := []struct {
		v    verdict
		want string
	}{
		{verdict{problem: "x", sid: "S-1-1-0"}, `icacls "` + dir + `" /inheritance:r /grant:r "%USERNAME%:(OI)(CI)F" /remove:g *S-1-1-0`},
		{verdict{problem: "x"}, `icacls "` + dir + `" /inheritance:r /grant:r "%USERNAME%:(OI)(CI)F"`},
		{verdict{problem: "x", owner: true}, `remove it, or take it over (as an administrator): takeown /f "` + dir + `" && icacls "` + dir + `" /inheritance:r /grant:r "%USERNAME%:(OI)(CI)F"`},
	}
	for _, tt := range tests {
		if got := tt.v.fix(dir); got != tt.want {
			t.Errorf("fix = %q; want %q", got, tt.want)
		}
	}
}
