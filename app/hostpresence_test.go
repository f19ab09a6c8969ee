package app

import (
	"testing"
	"time"
)

func TestHostPresenceShowsTheWindowOnlyWithoutAHost(t *testing.T) {
	start := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return start.Add(d) }
	type step struct {
		at       time.Duration
		host     *bool // nil: only ask
		noHost   bool
		show     bool
		askAgain time.Duration // -1: no time to ask again
	}
	up, down := true, false
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"a panel that comes late at login", []step{
			{at: 0, host: &down, show: false, askAgain: waitForHostAtStart},
			{at: 5 * time.Second, show: false, askAgain: waitForHostAtStart},
			{at: 12 * time.Second, host: &up, show: false, askAgain: -1},
			{at: time.Hour, show: false, askAgain: -1},
		}},
		{"no panel at all", []step{
			{at: 0, host: &down, show: false, askAgain: waitForHostAtStart},
			{at: waitForHostAtStart - time.Millisecond, show: false, askAgain: waitForHostAtStart},
			{at: waitForHostAtStart, show: true, askAgain: -1},
			{at: time.Hour, show: true, askAgain: -1},
		}},
		{"a panel that restarts", []step{
			{at: 0, host: &up, show: false, askAgain: -1},
			{at: time.Minute, host: &down, show: false, askAgain: time.Minute + waitForHostBack},
			{at: time.Minute + time.Second, host: &up, show: false, askAgain: -1},
		}},
		{"a panel that goes for good, then one that comes", []step{
			{at: 0, host: &up, show: false, askAgain: -1},
			{at: time.Minute, host: &down, show: false, askAgain: time.Minute + waitForHostBack},
			{at: time.Minute + waitForHostBack, show: true, askAgain: -1},
			{at: 2 * time.Minute, host: &down, show: true, askAgain: -1}, // told again: still shown
			{at: 3 * time.Minute, host: &up, show: false, askAgain: -1},
		}},
		{"a report before the first one does not restart the wait", []step{
			{at: 0, show: false, askAgain: waitForHostAtStart},
			{at: 10 * time.Second, host: &down, show: false, askAgain: waitForHostAtStart},
		}},
		{"no session bus: at once", []step{
			{at: time.Second, noHost: true, show: true, askAgain: -1},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHostPresence(start)
			for i, s := range tc.steps {
				switch {
				case s.noHost:
					h.noHostCanCome(at(s.at))
				case s.host != nil:
					h.hostChanged(*s.host, at(s.at))
				}
				show, askAgain := h.window(at(s.at))
				wantAsk := time.Time{}
				if s.askAgain >= 0 {
					wantAsk = at(s.askAgain)
				}
				if show != s.show || !askAgain.Equal(wantAsk) {
					t.Errorf("step %d (at %v): window %v, ask again at %v; want %v, %v", i, s.at, show, askAgain, s.show, wantAsk)
				}
			}
		})
	}
}
