package discovery

import "time"

// A Manager whose event bus a tray has connected is alive as long as that connection is: the
// registry does not check it over HTTP meanwhile, and checks it at once when the connection ends.

// Vouch says whether the listed Manager managerID is known to be alive by other means (its event
// bus is connected): its addresses are not checked over HTTP while it is, and are checked at once
// when it no longer is. It never blocks.
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

// Vouch says whether the Manager listed as managerID is known to be alive by other means: its event
// bus is connected. Its addresses are not checked while it is (a connected bus is a live Manager, and
// a tray then asks nothing of it over HTTP), and are checked at once when that ends: a closed
// connection is the first sign of a Manager that went away.
func (r *Registry) Vouch(now time.Time, managerID string, alive bool) {
	for _, loc := range r.locations {
		if !r.listedLocation(loc) || r.managerID(loc) != managerID {
			continue
		}
		loc.vouched = alive
		if alive {
			loc.lastOK, loc.failing = now, false
			loc.failures, loc.conclusiveFailures = 0, 0
			continue
		}
		loc.nextCheck = now
	}
}

// managerID is the ID of the Manager a listed address belongs to (see computeManagers).
func (r *Registry) managerID(loc *location) string {
	machine := loc.host
	if loc.local {
		machine = "this-machine"
	}
	return loc.info.Name + "|" + machine + "|" + loc.base.Port()
}
