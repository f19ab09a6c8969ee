package discovery

import (
	"testing"
	"time"
)

// searchesIn walks the schedule from t0 and returns how many searches it sends in [from, to).
func searchesIn(s *searchSchedule, answerAfterFirst bool, from, to time.Duration) (count int) {
	now := t0
	for now.Before(t0.Add(to)) {
		if s.due(now) {
			if now.Sub(t0) >= from {
				count++
			}
			s.searched(now)
			if answerAfterFirst {
				s.answered = true
				s.listed = true
			}
		}
		s.tick(now)
		now = now.Add(100 * time.Millisecond)
	}
	return count
}

func TestSearchPolicyIsGentle(t *testing.T) {
	t.Parallel()
	for _, answered := range []bool{true, false} {
		start := searchesIn(&searchSchedule{policy: DefaultSearchPolicy}, answered, 0, 10*time.Second)
		wantStart := 2
		if answered {
			wantStart = 1
		}
		if start != wantStart {
			t.Errorf("answered=%v: %d searches in the first 10s, want %d", answered, start, wantStart)
		}
		hour := searchesIn(&searchSchedule{policy: DefaultSearchPolicy}, answered, 10*time.Second, time.Hour+10*time.Second)
		wantHour := 12 // nothing listed: every 5 minutes (or a little more)
		if answered {
			wantHour = 1 // a Manager listed: its liveness is checked over HTTP; search hourly for new ones
		}
		if hour > wantHour || hour < wantHour*3/4 {
			t.Errorf("answered=%v: %d searches in an hour, want at most %d (and not far fewer)", answered, hour, wantHour)
		}
	}
}

func TestSearchWindowClosesAfterRetry(t *testing.T) {
	t.Parallel()
	s := &searchSchedule{policy: DefaultSearchPolicy}
	s.searched(t0)
	if s.tick(t0.Add(time.Second)) {
		t.Fatal("window closed before the retry was due")
	}
	retryAt := t0.Add(DefaultSearchPolicy.RetryAfter)
	if !s.due(retryAt) {
		t.Fatal("no retry after silence")
	}
	s.searched(retryAt)
	if !s.tick(retryAt.Add(DefaultSearchPolicy.RetryAfter)) {
		t.Fatal("window did not close after the retry")
	}
}

func TestRefreshIsRateLimited(t *testing.T) {
	t.Parallel()
	s := &searchSchedule{policy: DefaultSearchPolicy}
	s.searched(t0)
	s.answered = true
	// The Browser's own (a network change): every tray of a studio asks at once, so it waits long.
	s.refreshAfter(t0)
	if s.due(t0.Add(DefaultSearchPolicy.MinRefreshGap - time.Second)) {
		t.Error("a refresh of the Browser's own searched before MinRefreshGap")
	}
	// A user's click waits only for the answers of the search before it.
	s.refresh()
	if s.due(t0.Add(time.Second)) {
		t.Error("a click searched 1s after the previous search, before its answers were in")
	}
	if !s.due(t0.Add(DefaultSearchPolicy.RetryAfter)) {
		t.Error("a click not honoured once the answers of the search before it were in")
	}
}

func TestClickAfterASkippedStartSearchesAtOnce(t *testing.T) {
	t.Parallel()
	s := &searchSchedule{policy: DefaultSearchPolicy, startAt: t0.Add(DefaultSearchPolicy.KnownGrace)}
	s.skipStart(t0.Add(time.Second))
	s.refresh()
	if !s.due(t0.Add(time.Second)) {
		t.Errorf("a click after a start-up search that was skipped (none sent) waits until %v", s.next())
	}
	clicked := &searchSchedule{policy: DefaultSearchPolicy, startAt: t0.Add(DefaultSearchPolicy.KnownGrace)}
	clicked.refresh()
	if !clicked.due(t0) {
		t.Errorf("a click before the start-up search waits until %v", clicked.next())
	}
}

func TestRememberedManagersSkipTheStartupSearch(t *testing.T) {
	t.Parallel()
	for range 50 {
		s := &searchSchedule{policy: DefaultSearchPolicy, startAt: t0.Add(DefaultSearchPolicy.KnownGrace)}
		if s.due(t0) {
			t.Fatal("searching before remembered Managers had their grace")
		}
		s.skipStart(t0.Add(time.Second))
		s.listed = true
		next := s.next().Sub(t0.Add(time.Second))
		if next < 0 || next > 75*time.Minute {
			t.Fatalf("first search %v after start, want a random point within the next hour or so", next)
		}
	}
}
