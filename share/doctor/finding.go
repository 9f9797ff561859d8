package doctor

import "slices"

// Severity says whether a finding needs the user to act.
type Severity string

// The severities, from all well to broken.
const (
	// OK is a check that passed; its What says what was found.
	OK Severity = "ok"
	// Warn is something that works but not as the user probably wants,
	// or that mends itself; its Fix says how to do better.
	Warn Severity = "warn"
	// Fix is a set-up that fails or defeats sshshare until the user
	// changes it; its Fix says how.
	Fix Severity = "fix"
)

// Finding is one result of a check: what was found and, unless it is OK,
// how to fix it. It is also the JSON form (`sshshare doctor --json`).
type Finding struct {
	// ID names the check, stable for scripts: "openssh.version",
	// "trust.line", "sockets.stale", ...
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	What     string   `json:"what"`
	Fix      string   `json:"fix,omitempty"`
}

// NeedsFix reports whether any finding has severity Fix: `sshshare
// doctor` then exits 1.
func NeedsFix(findings []Finding) bool {
	return slices.ContainsFunc(findings, func(f Finding) bool { return f.Severity == Fix })
}

// ok is a passed check.
func ok(id, what string) Finding { return Finding{ID: id, Severity: OK, What: what} }

// warn is a finding worth acting on that does not break sshshare.
func warn(id, what, fix string) Finding { return Finding{ID: id, Severity: Warn, What: what, Fix: fix} }

// broken is a finding that needs the fix.
func broken(id, what, fix string) Finding {
	return Finding{ID: id, Severity: Fix, What: what, Fix: fix}
}
