package app

import (
	"testing"
	"time"
)

func TestNotifyLimitAllowsABurstThenOneAsTheWindowMoves(t *testing.T) {
	t.Parallel()
	l := &notifyLimit{}
	start := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	allowed := 0
	for i := range 16 { // one host announcing 16 Managers at once
		if l.allow(start.Add(time.Duration(i) * time.Millisecond)) {
			allowed++
		}
	}
	if allowed != 4 {
		t.Errorf("%d of a burst of 16 allowed, want 4", allowed)
	}
	if l.allow(start.Add(59 * time.Second)) {
		t.Error("allowed within the window after the burst")
	}
	if !l.allow(start.Add(61 * time.Second)) {
		t.Error("not allowed once the burst left the window")
	}
}
