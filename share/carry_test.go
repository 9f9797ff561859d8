package share

import (
	"testing"

	"golang.org/x/crypto/ssh"
)

// namedConn is an ssh.Conn that is only compared: routes never calls it.
type namedConn struct{ ssh.Conn }

// TestRoutesCarry: a stranded listener is not live until it lands; one
// whose carry is given up for the next heal (unstranded) stays not live
// and is taken again by the next stranded; one cancelled meanwhile does
// not land.
func TestRoutesCarry(t *testing.T) {
	c := &client{}
	old, fresh, next := &namedConn{}, &namedConn{}, &namedConn{}
	r := newRoutes()
	kept, cancelled := forwardKey{"localhost", 8080}, forwardKey{"localhost", 9090}
	r.add(kept, c, old)
	r.add(cancelled, c, old)

	got := r.stranded(fresh)
	if len(got) != 2 || r.count() != 0 {
		t.Fatalf("stranded: got %d listeners, count %d; want 2, 0", len(got), r.count())
	}
	if again := r.stranded(fresh); len(again) != 0 {
		t.Errorf("stranded again: got %d; want 0 (each taken once)", len(again))
	}
	entries := map[forwardKey]*remoteForward{}
	for _, f := range got {
		entries[f.key] = f.entry
	}

	on, carrying, found := r.cancel(cancelled)
	if on != old || !carrying || !found {
		t.Errorf("cancel while carried: got on old %v, carrying %v, found %v; want true, true, true", on == old, carrying, found)
	}
	if r.landed(cancelled, entries[cancelled], fresh) {
		t.Error("landed after cancel: got true; want false (the landing cancels it)")
	}

	if !r.unstranded(kept, entries[kept]) || r.count() != 0 {
		t.Fatalf("unstranded: count %d; want 0 (still not live)", r.count())
	}
	retaken := r.stranded(next)
	if len(retaken) != 1 || retaken[0].key != kept || retaken[0].old != old {
		t.Fatalf("stranded by the next heal: got %+v; want the kept listener, on the old connection", retaken)
	}
	if !r.landed(kept, retaken[0].entry, next) || r.count() != 1 {
		t.Errorf("landed: count %d; want 1", r.count())
	}
	if r.lost(kept, entries[cancelled]) {
		t.Error("lost with another entry: got true; want false")
	}
}
