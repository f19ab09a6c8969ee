package lending

import (
	"testing"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/localworker"
)

func TestMenuLine(t *testing.T) {
	busy := localworker.State{Phase: localworker.Busy, Job: "shot-010"}
	for _, tc := range []struct {
		status Status
		want   string
	}{
		{Status{Decision: Decision{Mode: Off}}, ""},
		{Status{Decision: Decision{Mode: Here, ToGo: 4*time.Minute - time.Second}, AwayAfter: 10 * time.Minute},
			"Will lend after 10 min away (4 min to go)"},
		{Status{Decision: Decision{Mode: Here, ToGo: time.Minute}, AwayAfter: 10 * time.Minute,
			Worker: localworker.State{Phase: localworker.Asleep}}, "You're here: the Worker sleeps"},
		{Status{Decision: Decision{Mode: Away}, Lent: true, Worker: busy}, "Lending to Studio Farm: rendering shot-010"},
		{Status{Decision: Decision{Mode: Away}, Lent: true, Worker: localworker.State{Phase: localworker.Awake}},
			"Lending to Studio Farm: waiting for work"},
		{Status{Decision: Decision{Mode: Away}, Worker: busy}, "You're away; the Worker you started runs as it is"},
		{Status{Decision: Decision{Mode: NoIdle, Reason: "no X server (DISPLAY is not set)"}},
			"Cannot lend this computer: no X server (DISPLAY is not set)"},
		{Status{Decision: Decision{Mode: SkipTonight}, NotTonightUntil: time.Date(2026, 12, 5, 8, 0, 0, 0, time.Local)},
			"Not tonight: lending again from 08:00"},
		{Status{Decision: Decision{Mode: OutsideHours, Reason: "lends only 19:00-08:00"}}, "Not lending now: lends only 19:00-08:00"},
	} {
		if got := tc.status.MenuLine("Studio Farm"); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.status.Decision, got, tc.want)
		}
	}
	if !(Status{Lent: true, Worker: busy}).Rendering() || (Status{Worker: busy}).Rendering() {
		t.Error("Rendering: only a lent Worker that is busy")
	}
	if title, body := (Tally{Tasks: 14, Jobs: 2}).BackNotice(); title != "Welcome back" ||
		body != "While you were away this computer rendered 14 tasks of 2 jobs." {
		t.Errorf("%q %q", title, body)
	}
}
