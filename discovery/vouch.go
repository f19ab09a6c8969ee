package discovery

import "time"

// Vouch says whether the listed Manager managerID is known to be alive by other means (its watcher
// hears from it, over its event bus or its polling rounds): its addresses are not checked over HTTP
// while it is, and are checked at once when it no longer is. It never blocks.
func (b *Browser) Vouch(managerID string, alive bool) {
	b.vouchMu.Lock()
	b.vouches[managerID] = alive
	b.vouchMu.Unlock()
	select {
	case b.vouchCh <- struct{}{}:
	default:
	}
}

// takeVouches hands the vouches given since the last call to the registry.
func (b *Browser) takeVouches(registry *Registry, now time.Time) {
	b.vouchMu.Lock()
	defer b.vouchMu.Unlock()
	for id, alive := range b.vouches {
		registry.Vouch(now, id, alive)
	}
	clear(b.vouches)
}

// Vouch is Browser.Vouch in the registry: an address that joins a vouched Manager is not checked
// either, and all are checked when the vouch ends, the first sign of a Manager that went away.
func (r *Registry) Vouch(now time.Time, managerID string, alive bool) {
	if _, listed := r.listed[managerID]; !listed {
		return
	}
	if alive {
		r.vouched[managerID] = true
	} else {
		delete(r.vouched, managerID)
	}
	for key, id := range r.memberOf {
		if loc, ok := r.locations[key]; ok && id == managerID {
			vouchFor(now, loc, alive)
		}
	}
}

// applyVouches brings every address in line with the vouch for its Manager, after Update regrouped
// them: an address that joined a vouched Manager is vouched for, one that left it is checked.
func (r *Registry) applyVouches(now time.Time) {
	for id := range r.vouched {
		if _, listed := r.listed[id]; !listed {
			delete(r.vouched, id)
		}
	}
	for key, loc := range r.locations {
		id, listed := r.memberOf[key]
		if alive := listed && r.vouched[id]; alive != loc.vouched {
			vouchFor(now, loc, alive)
		}
	}
}

func vouchFor(now time.Time, loc *location, alive bool) {
	loc.vouched = alive
	if alive {
		loc.lastOK, loc.failing = now, false
		loc.failures, loc.conclusiveFailures = 0, 0
		return
	}
	loc.nextCheck = now
}
