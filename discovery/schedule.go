package discovery

import (
	"math/rand/v2"
	"time"
)

// SearchPolicy says when the Browser sends M-SEARCHes. Every Manager's responder answers searches one
// at a time after a random wait of up to MX seconds, and every Worker on the LAN shares it, so the
// tray searches at start, once more if nothing answered, then rarely: while a Manager is listed its
// liveness is checked over HTTP, and searching only looks for new Managers, once an hour.
type SearchPolicy struct {
	// RetryAfter is how long after the first search a second one is sent if nothing answered; it is
	// also how long the first search window lasts.
	RetryAfter time.Duration
	// Interval is the time between searches while no Manager is listed.
	Interval time.Duration
	// IntervalWhileListed is the time between searches while a Manager is listed.
	IntervalWhileListed time.Duration
	// Jitter lengthens each interval by a random fraction up to this, so that trays started together
	// (a studio logging in at nine) drift apart instead of searching in the same second.
	Jitter float64
	// MinRefreshGap is the least time between a search the Browser asks for by itself (the network
	// changed, a Manager went) and the search before it: every tray of a studio asks at once. A search
	// the user asks for ("Search again") waits only for the answers of the search before it
	// (RetryAfter), so that a click is answered at once.
	MinRefreshGap time.Duration
	// InterfaceCheck is how often the network interfaces are compared with the last search's; a
	// change brings a search after a random delay of up to ChangeJitter, so that a whole studio whose
	// switch restarted does not search at the same moment.
	InterfaceCheck time.Duration
	ChangeJitter   time.Duration
	// GoneJitter: when a listed Manager goes away, a search follows after a random delay of up to
	// this, to find it if it came back elsewhere (another port or address). Spread wide, because
	// every tray in the studio sees it go at once, just when its Workers search for it too.
	GoneJitter time.Duration
	// KnownGrace is how long the first search waits for remembered Managers to answer over HTTP. If
	// one does, the start-up search is skipped and the first search comes at a random time within
	// the next IntervalWhileListed: a studio's trays, which all remember their Manager, then add no
	// burst of searches when everybody logs in.
	KnownGrace time.Duration
}

// DefaultSearchPolicy is the policy the tray uses: at most 2 M-SEARCHes per interface at start, at
// most 12 an hour afterwards while nothing is listed, and at most one an hour while a Manager is.
var DefaultSearchPolicy = SearchPolicy{
	RetryAfter:          time.Duration(searchMX)*time.Second + 500*time.Millisecond,
	Interval:            5 * time.Minute,
	IntervalWhileListed: time.Hour,
	Jitter:              0.25,
	MinRefreshGap:       10 * time.Second,
	InterfaceCheck:      10 * time.Second,
	ChangeJitter:        30 * time.Second,
	GoneJitter:          10 * time.Minute,
	KnownGrace:          time.Second,
}

// searchSchedule applies a SearchPolicy. A plain type: the time is passed in.
type searchSchedule struct {
	policy      SearchPolicy
	started     bool
	first       time.Time
	last        time.Time // the search the next interval counts from (sent, or skipped at start)
	lastSent    time.Time // the last M-SEARCH sent; zero if none was
	retried     bool
	answered    bool // a Manager was verified
	windowDone  bool
	refreshWant bool
	userAsked   bool      // the wanted refresh is a user's ("Search again")
	notBefore   time.Time // a wanted refresh waits until then
	listed      bool      // a Manager is listed
	stretch     float64   // this interval's jitter, drawn at each search
	startAt     time.Time // when the first search is due (zero: at once)
}

// next returns when the next search is due.
func (s *searchSchedule) next() time.Time {
	switch {
	case !s.started && s.userAsked:
		return time.Time{} // now: a click does not wait for remembered Managers
	case !s.started:
		return s.startAt // zero: now
	case !s.retried && !s.answered:
		return s.first.Add(s.policy.RetryAfter)
	case s.refreshWant:
		// Counted from the last search sent: one skipped at start is no reason to wait.
		gap := s.policy.MinRefreshGap
		if s.userAsked {
			gap = s.policy.RetryAfter
		}
		return maxTime(s.lastSent.Add(gap), s.notBefore)
	default:
		interval := s.policy.Interval
		if s.listed && s.policy.IntervalWhileListed > 0 {
			interval = s.policy.IntervalWhileListed
		}
		return s.last.Add(time.Duration(float64(interval) * (1 + s.stretch)))
	}
}

// skipStart records that the start-up search is not needed (remembered Managers answered) and
// puts the first search at a random point of the next listed interval.
func (s *searchSchedule) skipStart(now time.Time) {
	s.started, s.first, s.last = true, now, now
	s.retried, s.answered = true, true
	// A random phase, so that a studio's trays, started together, search spread over the interval:
	// (1 + stretch) lands in [0, 1 + Jitter) of it.
	s.stretch = rand.Float64()*(1+s.policy.Jitter) - 1
}

// windowEnd returns when the first search window closes (zero once it has).
func (s *searchSchedule) windowEnd() time.Time {
	if s.windowDone || !s.started {
		return time.Time{}
	}
	if s.retried {
		return s.last.Add(s.policy.RetryAfter)
	}
	return s.first.Add(s.policy.RetryAfter)
}

// due reports whether a search is due at now.
func (s *searchSchedule) due(now time.Time) bool { return !now.Before(s.next()) }

// searched records a search sent at now.
func (s *searchSchedule) searched(now time.Time) {
	if !s.started {
		s.started, s.first = true, now
	} else if !s.answered && !s.retried {
		s.retried = true
	}
	s.last, s.lastSent = now, now
	s.refreshWant, s.userAsked = false, false
	s.stretch = rand.Float64() * s.policy.Jitter
}

// tick closes the first search window when its time has come; it reports whether it just closed.
func (s *searchSchedule) tick(now time.Time) bool {
	end := s.windowEnd()
	if end.IsZero() || now.Before(end) {
		return false
	}
	if !s.answered && !s.retried {
		return false // the retry is still to be sent
	}
	s.windowDone = true
	return true
}

// refresh asks for a search as soon as the policy allows a user's ("Search again").
func (s *searchSchedule) refresh() {
	s.refreshWant, s.userAsked, s.notBefore = true, true, time.Time{}
}

// refreshAfter asks for a search no sooner than at.
func (s *searchSchedule) refreshAfter(at time.Time) {
	if !s.refreshWant {
		s.refreshWant, s.notBefore = true, at
	}
}
