package discovery

import "time"

// SearchPolicy says when the Browser sends M-SEARCHes. Every Manager's responder answers searches one
// at a time after a random wait of up to MX seconds, and every Worker on the LAN shares it, so the
// tray searches at start, once more if nothing answered, then rarely.
type SearchPolicy struct {
	// RetryAfter is how long after the first search a second one is sent if nothing answered; it is
	// also how long the first search window lasts.
	RetryAfter time.Duration
	// Interval is the time between searches once started.
	Interval time.Duration
	// MinRefreshGap is the least time between an explicit refresh and the search before it.
	MinRefreshGap time.Duration
	// InterfaceCheck is how often the network interfaces are compared with the last search's; a
	// change brings a search after a random delay of up to ChangeJitter, so that a whole studio whose
	// switch restarted does not search at the same moment.
	InterfaceCheck time.Duration
	ChangeJitter   time.Duration
}

// DefaultSearchPolicy is the policy the tray uses: at most 2 M-SEARCHes per interface at start and
// 12 an hour afterwards.
var DefaultSearchPolicy = SearchPolicy{
	RetryAfter:     time.Duration(searchMX)*time.Second + 500*time.Millisecond,
	Interval:       5 * time.Minute,
	MinRefreshGap:  10 * time.Second,
	InterfaceCheck: 10 * time.Second,
	ChangeJitter:   30 * time.Second,
}

// searchSchedule applies a SearchPolicy. A plain type: the time is passed in.
type searchSchedule struct {
	policy      SearchPolicy
	started     bool
	first       time.Time
	last        time.Time
	retried     bool
	answered    bool
	windowDone  bool
	refreshWant bool
	notBefore   time.Time // a wanted refresh waits until then
}

// next returns when the next search is due.
func (s *searchSchedule) next() time.Time {
	switch {
	case !s.started:
		return time.Time{} // now
	case !s.retried && !s.answered:
		return s.first.Add(s.policy.RetryAfter)
	case s.refreshWant:
		return maxTime(s.last.Add(s.policy.MinRefreshGap), s.notBefore)
	default:
		return s.last.Add(s.policy.Interval)
	}
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
	s.last = now
	s.refreshWant = false
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

// sawAnswer records that a Flamenco answer arrived.
func (s *searchSchedule) sawAnswer() { s.answered = true }

// refresh asks for a search as soon as the policy allows.
func (s *searchSchedule) refresh() { s.refreshWant, s.notBefore = true, time.Time{} }

// refreshAfter asks for a search no sooner than at.
func (s *searchSchedule) refreshAfter(at time.Time) {
	if !s.refreshWant {
		s.refreshWant, s.notBefore = true, at
	}
}
