package discovery

// Claims: what another machine's answers say of a third address. A LOCATION naming another machine
// than the answer's source is never followed (a hostile host could point the tray at any other),
// but it is remembered as that machine's claim, and two claims that agree are evidence for
// registry_identity.go: addresses A and B of other machines are one Manager when A's machine
// announced B and B's machine announced A, on the same port and scheme, and both answered as a
// Manager with the same name. That is a Manager on two networks this computer is also on: it
// answers a search on each from its address there, naming all of its addresses.
//
// A and B must be on two different networks of this computer's. On one network, a host can forge a
// datagram from its neighbour's address naming its own, and make a claim look mutual; a Manager on
// one network answers from one address anyway. Claims never make the tray contact anything: only
// addresses followed for their own sake are checked.

import (
	"net"
	"net/netip"
	"time"
)

// claim is "source announced scheme://addr:port": the address its own LOCATION has on the network
// where addr is.
type claim struct {
	source, addr netip.Addr
	scheme, port string
}

// base returns the base URL claimed.
func (c claim) base() string { return c.scheme + "://" + net.JoinHostPort(c.addr.String(), c.port) }

// reverse is the claim that makes c mutual: addr's machine announcing source, same port and scheme.
func (c claim) reverse() claim {
	return claim{source: c.addr, addr: c.source, scheme: c.scheme, port: c.port}
}

// networkOf returns the index of this computer's network holding addr, or -1.
func (r *Registry) networkOf(addr netip.Addr) int {
	for i, n := range r.networks {
		if n.Contains(addr) {
			return i
		}
	}
	return -1
}

// claimUsable reports whether source announcing addr could ever be evidence: both other machines'
// IPv4 addresses (SSDP answers come over IPv4), on two different networks of this computer's.
func (r *Registry) claimUsable(source, addr netip.Addr) bool {
	for _, a := range []netip.Addr{source, addr} {
		if !a.Is4() || a.IsLoopback() || r.local[a] {
			return false
		}
	}
	ns, na := r.networkOf(source), r.networkOf(addr)
	return ns >= 0 && na >= 0 && ns != na
}

// noteClaim remembers that source announced addr (at base's port and scheme), when it could ever be
// evidence and there is room: at most maxLocationsPerSource claims a machine, maxLocations in all.
func (r *Registry) noteClaim(now time.Time, source, addr netip.Addr, scheme, port string) {
	c := claim{source: source, addr: addr, scheme: scheme, port: port}
	if !r.claimUsable(source, addr) {
		return
	}
	if _, ok := r.claims[c]; ok {
		r.claims[c] = now
		return
	}
	n := 0
	for k := range r.claims {
		if k.source == source {
			n++
		}
	}
	if n >= maxLocationsPerSource || !r.roomForClaim(now) {
		return
	}
	r.claims[c] = now
}

// roomForClaim makes room for one more claim, forgetting expired ones and then the oldest one-sided
// one (a flood of one-sided claims cannot push out mutual ones); it reports whether there is room.
func (r *Registry) roomForClaim(now time.Time) bool {
	if len(r.claims) < maxLocations {
		return true
	}
	r.forgetClaims(now)
	var victim claim
	found := false
	for c, at := range r.claims {
		if _, mutual := r.claims[c.reverse()]; !mutual && (!found || at.Before(r.claims[victim])) {
			victim, found = c, true
		}
	}
	if len(r.claims) >= maxLocations && found {
		delete(r.claims, victim)
	}
	return len(r.claims) < maxLocations
}

// claimKeep is how long a claim lasts after it was last announced: two forgetAfter (two max-ages).
// A listed Manager is searched for only hourly, stretched by up to a quarter, and announces itself
// hourly plus a second: one forgetAfter would split a Manager's entry before most searches.
const claimKeep = 2 * forgetAfter

// claimLive reports whether a claim announced at is still current.
func (r *Registry) claimLive(now, at time.Time) bool { return now.Sub(at) < claimKeep }

// forgetClaims drops the expired claims.
func (r *Registry) forgetClaims(now time.Time) {
	for c, at := range r.claims {
		if !r.claimLive(now, at) {
			delete(r.claims, c)
		}
	}
}

// mutualClaims returns the pairs of base URLs whose machines announced each other, each pair once,
// with when the first of its two claims expires.
func (r *Registry) mutualClaims(now time.Time) (pairs [][2]string, expires []time.Time) {
	for c, at := range r.claims {
		back, ok := r.claims[c.reverse()]
		if !ok || c.source.Compare(c.addr) > 0 || !r.claimLive(now, at) || !r.claimLive(now, back) ||
			!r.claimUsable(c.source, c.addr) {
			continue
		}
		pairs = append(pairs, [2]string{c.reverse().base(), c.base()})
		expires = append(expires, minTime(at, back).Add(claimKeep))
	}
	return pairs, expires
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
