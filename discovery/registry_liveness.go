package discovery

// The registry's second job, liveness: its timing and bounds, when each address is checked, what a
// check's result means for its Manager (reachable, failing, gone), and when an address is forgotten.

import (
	"cmp"
	"errors"
	"net/url"
	"slices"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/managerapi"
)

// The registry's timing and bounds.
const (
	// checkInterval is how often a listed Manager's addresses are re-checked over HTTP.
	checkInterval = 5 * time.Second
	// goneAfter is how long a listed Manager's checks must keep failing before it is removed, counted
	// in failed checks at the pace of rechecks while failing (recheckGap): 5 s is four failed checks.
	// Time in which no check could run (the machine slept, the process was stopped) counts for
	// nothing, nor do checks that could not leave this machine (errNoRouteFromHere).
	goneAfter = 5 * time.Second
	// forgetAfter drops an address that neither answered nor was announced for this long.
	forgetAfter = AdvertisementMaxAge
	// maxLocations bounds how many addresses are tracked at once.
	maxLocations = 256
	// maxLocationsPerSource bounds the addresses one machine may have us track (a real Manager
	// announces a handful).
	maxLocationsPerSource = 16
	// newChecksPerSecond and newCheckBurst rate-limit checks of addresses never verified, so a flood
	// of forged answers costs a bounded trickle of HTTP requests.
	newChecksPerSecond = 10
	newCheckBurst      = 20
)

// evictOne drops the longest-silent address that was never verified, was checked at least once and
// is not being checked, to make room; it reports whether it found one.
func (r *Registry) evictOne() bool {
	var victim *location
	for _, loc := range r.locations {
		if loc.verified || loc.known || loc.inFlight || loc.lastCheck.IsZero() {
			continue
		}
		if victim == nil || loc.lastAnnounced.Before(victim.lastAnnounced) {
			victim = loc
		}
	}
	if victim == nil {
		return false
	}
	delete(r.locations, victim.base.String())
	return true
}

const (
	// minRecheckGap is the least time between two checks of one address, however often it is
	// announced.
	minRecheckGap = 2 * time.Second
	// maxRetryInterval caps the back-off for addresses that do not answer (never verified, or gone).
	maxRetryInterval = time.Minute
)

const (
	// recheckGap is the time between checks of a listed Manager whose last check failed: a third of
	// checkInterval, rounded up so that three of them span it.
	recheckGap = (checkInterval + 2) / 3
	// failuresToRemove is how many failed checks in a row remove a listed Manager: enough to span
	// goneAfter at the pace of rechecks while failing.
	failuresToRemove = 1 + int((goneAfter+recheckGap-1)/recheckGap)
)

// listedLocation reports whether loc is part of a listed Manager: verified, and not failed often
// enough to stop listing it. That counts checks that reached the network and failed, never the time
// that passed: a pause between two checks (the machine slept) counts as nothing.
func (r *Registry) listedLocation(loc *location) bool {
	return loc.verified && loc.conclusiveFailures < failuresToRemove
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// handleByebye checks the named LOCATION now; a byebye alone is not trusted, since every Manager
// shares one USN and anyone can send one.
func (r *Registry) handleByebye(now time.Time, answer Answer) {
	base, err := managerapi.BaseURL(answer.Location)
	if err != nil {
		return
	}
	if loc, ok := r.locations[base.String()]; ok {
		loc.nextCheck = maxTime(now, loc.lastCheck.Add(minRecheckGap))
	}
}

// checkable reports whether loc may be checked now: not while it is vouched for, unless CheckAllNow
// asked (the user's "Search again").
func (r *Registry) checkable(loc *location) bool {
	return !loc.inFlight && (!loc.vouched || loc.checkAsked)
}

// refillTokens adds the tokens earned since the last refill.
func (r *Registry) refillTokens(now time.Time) {
	if !r.tokensAt.IsZero() && now.After(r.tokensAt) {
		r.tokens += now.Sub(r.tokensAt).Seconds() * newChecksPerSecond
		r.tokens = min(r.tokens, newCheckBurst)
	}
	r.tokensAt = now
}

// DueChecks returns up to limit addresses to check now and marks them in flight; report each with
// HandleCheck. Listed Managers' addresses come first, then those the user gave, so a flood of new
// ones cannot starve them (nor hold new Managers back while a name given waits: awaitingNames).
func (r *Registry) DueChecks(now time.Time, limit int) []*url.URL {
	var due []*url.URL
	locs := r.sortedLocations()
	slices.SortStableFunc(locs, func(a, b *location) int {
		return cmp.Or(cmp.Compare(boolRank(!a.verified), boolRank(!b.verified)), cmp.Compare(boolRank(!a.known), boolRank(!b.known)))
	})
	r.refillTokens(now)
	for _, loc := range locs {
		if len(due) >= limit {
			break
		}
		if !r.checkable(loc) || now.Before(loc.nextCheck) {
			continue
		}
		if !loc.verified {
			if r.tokens < 1 {
				continue
			}
			r.tokens--
		}
		loc.inFlight, loc.checkAsked = true, false
		loc.lastCheck = now
		if loc.isHostName() {
			r.wantLookup(now, loc.host)
		}
		due = append(due, loc.base)
	}
	return due
}

// forgetStale drops the addresses that neither answered nor were announced for forgetAfter.
func (r *Registry) forgetStale(now time.Time) {
	for key, loc := range r.locations {
		// A listed address is never forgotten for silence: after a night asleep it is checked first.
		if loc.known || loc.inFlight || r.listedLocation(loc) {
			continue
		}
		lastSign := loc.lastAnnounced
		if loc.lastOK.After(lastSign) {
			lastSign = loc.lastOK
		}
		if now.Sub(lastSign) >= forgetAfter {
			delete(r.locations, key)
		}
	}
}

// Pending counts the addresses being checked or waiting for their first check, and the host names
// being looked up or due to be.
func (r *Registry) Pending() int {
	n := 0
	for _, loc := range r.locations {
		if loc.inFlight || (!loc.verified && loc.lastErr == "") {
			n++
		}
	}
	for _, name := range r.names {
		if name.want || name.inFlight {
			n++
		}
	}
	return n
}

// HandleCheck records the result of checking base.
func (r *Registry) HandleCheck(now time.Time, base *url.URL, info VersionInfo, err error) {
	loc, ok := r.locations[base.String()]
	if !ok {
		return
	}
	loc.inFlight = false
	if err == nil {
		loc.info = info
		loc.verified = true
		loc.lastOK = now
		loc.failing = false
		loc.failures, loc.conclusiveFailures = 0, 0
		loc.lastErr = ""
		loc.retryDelay = 0
		loc.nextCheck = now.Add(checkInterval)
		return
	}
	wasListed := r.listedLocation(loc)
	noRoute := errors.Is(err, errNoRouteFromHere)
	loc.failures++
	loc.conclusiveFailures++
	if noRoute {
		loc.conclusiveFailures = 0
	}
	// One lost answer is not a dead Manager.
	loc.failing = !loc.verified || loc.failures >= 2
	loc.lastErr = err.Error()
	if wasListed {
		// Listed: check again soon, so that one lost answer does not remove a Manager and a dead
		// one is removed in time; while this machine is off the network, at the usual pace.
		loc.nextCheck = now.Add(recheckGap)
		if noRoute {
			loc.nextCheck = now.Add(checkInterval)
		}
		return
	}
	loc.retryDelay = min(max(2*loc.retryDelay, checkInterval), maxRetryInterval)
	loc.nextCheck = now.Add(loc.retryDelay)
}

// CheckAllNow makes every address due for a check now (an explicit refresh, a network change),
// vouched ones too (once: asked for, it costs one request each), and every host name due for a
// lookup with it.
func (r *Registry) CheckAllNow(now time.Time) {
	for _, loc := range r.locations {
		loc.nextCheck = now
		loc.retryDelay = 0
		loc.checkAsked = true
	}
	for _, name := range r.names {
		name.askedAt = time.Time{}
	}
}

// NextWake returns when the registry next has something to do after now: a check, unless withChecks
// is false (no check could be started anyway), or a name's last answer expiring. Zero if never.
// Nothing else is due by time alone: Managers are removed by failed checks.
func (r *Registry) NextWake(now time.Time, withChecks bool) time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	r.refillTokens(now)
	tokenAt := now
	if r.tokens < 1 {
		tokenAt = now.Add(time.Duration((1 - r.tokens) / newChecksPerSecond * float64(time.Second)))
	}
	for _, name := range r.names {
		if expires := name.failedSince.Add(resolutionKeep); !name.failedSince.IsZero() && len(name.addrs) > 0 && expires.After(now) {
			consider(expires)
		}
	}
	if _, expires := r.mutualClaims(now); len(expires) > 0 {
		consider(slices.MinFunc(expires, time.Time.Compare))
	}
	for _, loc := range r.locations {
		if withChecks && r.checkable(loc) {
			if loc.verified {
				consider(loc.nextCheck)
			} else {
				consider(maxTime(loc.nextCheck, tokenAt))
			}
		}
	}
	return next
}
