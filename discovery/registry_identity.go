package discovery

// The registry's third job, identity: which listed addresses are one Manager, and the ID each
// Manager keeps while it is listed.
//
// Addresses are one Manager only on evidence that one server answers at them, never on the name it
// answers with (anyone can answer with any name):
//   - they are this machine's, and answer with the same name on the same port;
//   - a host name (only the user or IT gives those: SSDP LOCATIONs are addresses) resolves to an
//     address that answered as a Manager itself, with the same name, on the same port and scheme;
//   - they are another machine's addresses on two networks of this computer's, each announced by
//     the other's machine (registry_claims.go), and answer with the same name, port and scheme.
//
// Another machine's addresses are never joined on one answer alone: an answer's source address is
// all that says which machine an address is, and a hostile host can forge it on its own network.
//
// The Browser looks names up (DueResolutions, Resolved); the registry only asks and remembers.

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"
)

const (
	// minResolveGap: a host name is looked up when its address is checked, at most this often.
	minResolveGap = 30 * time.Second
	// resolutionKeep is how long a name's last answer still counts while looking it up fails
	// (a DNS server restarting must not split a Manager's entry); then its addresses are dropped.
	resolutionKeep = 10 * time.Minute
	// maxResolvedAddrs bounds the addresses kept for one name.
	maxResolvedAddrs = 16
)

// nameLookup is what is known of a host name's addresses.
type nameLookup struct {
	addrs       []netip.Addr // the last answer, sorted
	answered    bool         // looked up at least once (whatever the outcome)
	failedSince time.Time    // zero when the last lookup succeeded
	askedAt     time.Time
	want        bool // due, asked for by a check of its address
	inFlight    bool
}

// isHostName reports whether loc's host is a name to look up (localhost is this machine).
func (loc *location) isHostName() bool { return !loc.addr.IsValid() && loc.host != "localhost" }

// current returns the name's addresses as they count at now: the last answer, kept for
// resolutionKeep once lookups fail.
func (n *nameLookup) current(now time.Time) []netip.Addr {
	if !n.failedSince.IsZero() && !now.Before(n.failedSince.Add(resolutionKeep)) {
		return nil
	}
	return n.addrs
}

// wantLookup asks for host to be looked up, when its last lookup is older than minResolveGap (a
// check of its address is starting).
func (r *Registry) wantLookup(now time.Time, host string) {
	n := r.names[host]
	if n == nil || n.inFlight {
		return
	}
	if n.askedAt.IsZero() || !now.Before(n.askedAt.Add(minResolveGap)) {
		n.want = true
	}
}

// DueResolutions returns up to limit host names to look up now and marks them in flight; report
// each with Resolved.
func (r *Registry) DueResolutions(now time.Time, limit int) []string {
	var due []string
	for _, host := range slices.Sorted(maps.Keys(r.names)) {
		n := r.names[host]
		if len(due) >= limit {
			break
		}
		if n.want && !n.inFlight {
			n.want, n.inFlight, n.askedAt = false, true, now
			due = append(due, host)
		}
	}
	return due
}

// Resolved records what looking host up gave. It reports whether that is news (other addresses, or
// the first failure or success after the other), and, when the lookup failed but an earlier answer
// is kept, until when.
func (r *Registry) Resolved(now time.Time, host string, addrs []netip.Addr, err error) (news bool, keptUntil time.Time) {
	n, ok := r.names[host]
	if !ok {
		return false, time.Time{}
	}
	n.inFlight = false
	first := !n.answered
	n.answered = true
	clean := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		if a = a.Unmap(); a.IsValid() && !a.IsUnspecified() && !slices.Contains(clean, a) && len(clean) < maxResolvedAddrs {
			clean = append(clean, a)
		}
	}
	if err != nil || len(clean) == 0 {
		news = first || n.failedSince.IsZero()
		if n.failedSince.IsZero() {
			n.failedSince = now
		}
		if len(n.addrs) == 0 {
			return news, time.Time{}
		}
		return news, n.failedSince.Add(resolutionKeep)
	}
	slices.SortFunc(clean, netip.Addr.Compare)
	news = first || !n.failedSince.IsZero() || !slices.Equal(clean, n.addrs)
	n.addrs, n.failedSince = clean, time.Time{}
	return news, time.Time{}
}

// forgetNames drops the lookups of names no address has any more.
func (r *Registry) forgetNames() {
	used := make(map[string]bool, len(r.names))
	for _, loc := range r.locations {
		used[loc.host] = true
	}
	for host := range r.names {
		if !used[host] {
			delete(r.names, host)
		}
	}
}

// groupable reports whether loc is grouped into a listed Manager: listed, and for a host name, looked
// up once (so that it is not listed alone, to join the address it resolves to a moment later).
func (r *Registry) groupable(loc *location) bool {
	if !r.listedLocation(loc) {
		return false
	}
	return !loc.isHostName() || r.lookedUp(loc.host)
}

// lookedUp reports whether host was looked up at least once.
func (r *Registry) lookedUp(host string) bool { return r.names[host] == nil || r.names[host].answered }

// naturalID is the ID a Manager first listed with loc as the address it opens gets: its name, its
// machine, its port.
func (r *Registry) naturalID(loc *location) string {
	machine := loc.host
	if loc.local {
		machine = "this-machine"
	}
	return loc.info.Name + "|" + machine + "|" + loc.base.Port()
}

// endpoint is an address and port that answered as the Manager name: two addresses that share one
// are one server.
type endpoint struct {
	addr         netip.Addr
	scheme, port string
	name         string
}

// group returns the groupable addresses grouped into Managers (see the top of this file), each
// sorted for opening, the groups in a stable order.
func (r *Registry) group(now time.Time) [][]*location {
	parent := make(map[*location]*location)
	var root func(*location) *location
	root = func(l *location) *location {
		if parent[l] != l {
			parent[l] = root(parent[l])
		}
		return parent[l]
	}
	union := func(a, b *location) { parent[root(a)] = root(b) }
	byID := make(map[string]*location)
	byEndpoint := make(map[endpoint]*location)
	var listed []*location
	for _, loc := range r.sortedLocations() {
		if !r.groupable(loc) {
			continue
		}
		listed = append(listed, loc)
		parent[loc] = loc
		if first, ok := byID[r.naturalID(loc)]; ok {
			union(loc, first)
		} else {
			byID[r.naturalID(loc)] = loc
		}
		for _, addr := range r.addressesOf(now, loc) {
			e := endpoint{addr: addr, scheme: loc.base.Scheme, port: loc.base.Port(), name: loc.info.Name}
			if first, ok := byEndpoint[e]; ok {
				union(loc, first)
			} else {
				byEndpoint[e] = loc
			}
		}
	}
	// Addresses of another machine's that announce each other (registry_claims.go).
	pairs, _ := r.mutualClaims(now)
	for _, p := range pairs {
		a, b := r.locations[p[0]], r.locations[p[1]]
		if a != nil && b != nil && parent[a] != nil && parent[b] != nil && a.info.Name == b.info.Name {
			union(a, b)
		}
	}
	index := make(map[*location]int)
	var groups [][]*location
	for _, loc := range listed {
		i, ok := index[root(loc)]
		if !ok {
			i = len(groups)
			index[root(loc)] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], loc)
	}
	for _, g := range groups {
		slices.SortFunc(g, compareForOpening)
	}
	return groups
}

// addressesOf returns the addresses loc is known to reach: its own, or its name's as looked up.
func (r *Registry) addressesOf(now time.Time, loc *location) []netip.Addr {
	if loc.addr.IsValid() {
		return []netip.Addr{loc.addr.Unmap()}
	}
	if n := r.names[loc.host]; n != nil && loc.isHostName() {
		return n.current(now)
	}
	return nil
}

// assignIDs gives each group (opening opened[i]) its Manager's ID. An ID stays while its Manager is
// listed, whatever addresses join or leave it, so that a tray keeps its entry, its watcher and its
// notifications:
//   - a group holding addresses of a listed Manager keeps that Manager's ID; holding those of
//     several (they were found to be one), the one listed first;
//   - when a listed Manager's addresses part, its ID stays with those holding the address its entry
//     opened, so that the entry the user sees keeps its address (a name the user gave, if any);
//   - any other group is new: it gets the natural ID of the address it opens, made unique, and
//     fresh reports so.
func (r *Registry) assignIDs(groups [][]*location, opened []*location) (ids []string, fresh []bool) {
	claims := make(map[string][]int) // previous ID → the groups holding its addresses, in order
	for i, g := range groups {
		for _, loc := range g {
			if id, ok := r.memberOf[loc.base.String()]; ok && !slices.Contains(claims[id], i) {
				claims[id] = append(claims[id], i)
			}
		}
	}
	owned := make([][]string, len(groups))
	for id, holders := range claims {
		heir := holders[0]
		openedBefore := strings.TrimSuffix(r.listed[id].URL, "/")
		for _, i := range holders {
			if slices.ContainsFunc(groups[i], func(l *location) bool { return l.base.String() == openedBefore }) {
				heir = i
				break
			}
		}
		owned[heir] = append(owned[heir], id)
	}
	ids, fresh = make([]string, len(groups)), make([]bool, len(groups))
	taken := make(map[string]bool)
	for i, candidates := range owned {
		if len(candidates) > 0 {
			ids[i] = slices.MinFunc(candidates, func(a, b string) int { return cmp.Or(r.since[a].Compare(r.since[b]), cmp.Compare(a, b)) })
			taken[ids[i]] = true
		}
	}
	for i := range groups {
		if ids[i] != "" {
			continue
		}
		natural := r.naturalID(opened[i])
		ids[i], fresh[i] = natural, true
		for n := 2; taken[ids[i]]; n++ {
			ids[i] = fmt.Sprintf("%s#%d", natural, n)
		}
		taken[ids[i]] = true
	}
	return ids, fresh
}

// awaitingNames reports whether a host name given is still being looked up or checked for the first
// time. New Managers wait for it (a probe timeout or two, at start): the address remembered from
// the last run usually answers first, and would otherwise be listed alone, then joined by the name
// a moment later, its entry changing address under the tray's feet.
func (r *Registry) awaitingNames() bool {
	for _, loc := range r.locations {
		if loc.isHostName() && (!r.lookedUp(loc.host) || (!loc.verified && loc.lastErr == "")) {
			return true
		}
	}
	return false
}

// computeManagers groups the listed addresses into Managers, and returns them with the Manager ID of
// each listed address.
func (r *Registry) computeManagers(now time.Time) ([]Manager, map[string]string) {
	groups := r.group(now)
	opened := make([]*location, len(groups))
	for i, locs := range groups {
		// Open an address whose last check succeeded, the first in the order of compareForOpening.
		opened[i] = locs[0]
		if j := slices.IndexFunc(locs, func(l *location) bool { return !l.failing }); j >= 0 {
			opened[i] = locs[j]
		}
	}
	ids, fresh := r.assignIDs(groups, opened)
	awaiting := r.awaitingNames()
	memberOf := make(map[string]string)
	managers := make([]Manager, 0, len(groups))
	hosts := make(map[string]int)
	for i, locs := range groups {
		if fresh[i] && awaiting {
			continue
		}
		m := Manager{ID: ids[i], Name: opened[i].info.Name, Version: opened[i].info.DisplayVersion(),
			URL: opened[i].base.String() + "/", Host: opened[i].base.Hostname()}
		for _, loc := range locs {
			m.Local = m.Local || loc.local
			m.Manual = m.Manual || loc.manual
			m.Reachable = m.Reachable || !loc.failing
			m.Addresses = append(m.Addresses, loc.base.String())
			memberOf[loc.base.String()] = m.ID
		}
		hosts[m.Host]++
		managers = append(managers, m)
	}
	for i := range managers {
		m := &managers[i]
		// Names can look alike and differ (homoglyphs, invisible characters) or be the same: with
		// more than one Manager listed, the host is what tells them apart.
		m.Ambiguous = len(managers) > 1
		if hosts[m.Host] > 1 {
			m.Host = strings.TrimPrefix(m.URL[:len(m.URL)-1], "http://")
			m.Host = strings.TrimPrefix(m.Host, "https://")
		}
	}
	return managers, memberOf
}
