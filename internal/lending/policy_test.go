package lending

import (
	"errors"
	"testing"
	"time"
)

// A Friday evening in a studio's time zone.
var paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}()

func at(day, hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", day+" "+hhmm, paris)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDecide(t *testing.T) {
	on := Policy{Enabled: true, AwayAfter: 10 * time.Minute}
	nights := on
	nights.Hours = mustHours(t, "19:00-08:00 mon,tue,wed,thu,fri")
	loaded := on
	loaded.LoadLimit = 0.5
	friday := at("2026-12-04", "20:00")
	for _, tc := range []struct {
		name   string
		policy Policy
		in     Inputs
		now    time.Time
		want   Decision
	}{
		{"off", Policy{AwayAfter: time.Minute}, Inputs{Idle: time.Hour}, friday, Decision{Mode: Off}},
		{"here", on, Inputs{Idle: 6 * time.Minute}, friday, Decision{Mode: Here, ToGo: 4 * time.Minute}},
		{"away", on, Inputs{Idle: 10 * time.Minute}, friday, Decision{Mode: Away}},
		{"locked a moment ago", on, Inputs{Idle: 5 * time.Second, Locked: true}, friday, Decision{Mode: Away}},
		{"idle unreadable", on, Inputs{Idle: time.Hour, IdleErr: errors.New("no X server")}, friday,
			Decision{Mode: NoIdle, Reason: "no X server"}},
		{"not tonight", on, Inputs{Idle: time.Hour, NotTonight: friday.Add(time.Hour)}, friday, Decision{Mode: SkipTonight}},
		{"not tonight, over", on, Inputs{Idle: time.Hour, NotTonight: friday}, friday, Decision{Mode: Away}},
		{"within the hours", nights, Inputs{Idle: time.Hour}, friday, Decision{Mode: Away}},
		{"Saturday 02:00 is Friday's night", nights, Inputs{Idle: time.Hour}, at("2026-12-05", "02:00"), Decision{Mode: Away}},
		{"Saturday evening is not a chosen day", nights, Inputs{Idle: time.Hour}, at("2026-12-05", "20:00"),
			Decision{Mode: OutsideHours, Reason: "lends only 19:00-08:00 mon,tue,wed,thu,fri"}},
		{"Friday afternoon", nights, Inputs{Idle: time.Hour}, at("2026-12-04", "15:00"),
			Decision{Mode: OutsideHours, Reason: "lends only 19:00-08:00 mon,tue,wed,thu,fri"}},
		{"a simulation keeps the computer", loaded, Inputs{Idle: time.Hour, OtherLoad: 0.8}, friday,
			Decision{Mode: Loaded, Reason: "other programs use 80 % of the CPUs (limit 50 %)"}},
		{"light load", loaded, Inputs{Idle: time.Hour, OtherLoad: 0.2}, friday, Decision{Mode: Away}},
		{"load unreadable with a limit", loaded, Inputs{Idle: time.Hour, LoadErr: errors.New("not on this system")}, friday,
			Decision{Mode: Loaded, Reason: "the load of other programs cannot be read: not on this system"}},
		{"load unreadable without a limit", on, Inputs{Idle: time.Hour, LoadErr: errors.New("not on this system")}, friday,
			Decision{Mode: Away}},
		{"at least a minute", Policy{Enabled: true, AwayAfter: time.Second}, Inputs{Idle: 30 * time.Second}, friday,
			Decision{Mode: Here, ToGo: 30 * time.Second}},
		{"ten minutes by default", Policy{Enabled: true}, Inputs{Idle: 9 * time.Minute}, friday, Decision{Mode: Here, ToGo: time.Minute}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Decide(tc.policy, tc.in, tc.now); got != tc.want {
				t.Errorf("Decide = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// "Not tonight" lasts until the morning; a laptop that slept through it (its clock jumped past the
// morning) lends again the next night, and one woken in the night still does not.
func TestNotTonightLastsUntilTheMorningAcrossAClockJump(t *testing.T) {
	nights := Policy{Enabled: true, AwayAfter: 10 * time.Minute, Hours: mustHours(t, "19:00-08:00")}
	chosen := at("2026-12-04", "23:30")
	until := NotTonightUntil(nights.Hours, chosen)
	if want := at("2026-12-05", "08:00"); !until.Equal(want) {
		t.Fatalf("until %v, want %v", until, want)
	}
	away := Inputs{Idle: 12 * time.Hour, NotTonight: until}
	if d := Decide(nights, away, at("2026-12-05", "03:00")); d.Mode != SkipTonight {
		t.Errorf("woken at 03:00: %+v", d)
	}
	if d := Decide(nights, away, at("2026-12-05", "20:00")); d.Mode != Away {
		t.Errorf("the next evening, after sleeping through the morning: %+v", d)
	}
	if until := NotTonightUntil(Hours{}, at("2026-12-05", "06:00")); !until.Equal(at("2026-12-05", "08:00")) {
		t.Errorf("any time allowed, chosen at 06:00: until %v", until)
	}
	if until := NotTonightUntil(Hours{}, at("2026-12-05", "09:00")); !until.Equal(at("2026-12-06", "08:00")) {
		t.Errorf("any time allowed, chosen at 09:00: until %v", until)
	}
}

func TestHoursAcrossADaylightSavingChange(t *testing.T) {
	h := mustHours(t, "01:00-04:00")
	// 2026-03-29 in Paris: 02:00 becomes 03:00.
	if !h.Contains(at("2026-03-29", "03:30")) || h.Contains(at("2026-03-29", "04:30")) {
		t.Error("the window is read by the clock on a 23-hour day")
	}
}

func TestParseHours(t *testing.T) {
	for _, s := range []string{"19:00-08:00", "19:00-08:00 mon,tue,wed,thu,fri", "08:30-17:00 sat,sun", ""} {
		h, err := ParseHours(s)
		if err != nil || h.String() != s {
			t.Errorf("ParseHours(%q) = %v (%q), %v", s, h, h.String(), err)
		}
	}
	for _, bad := range []string{"19:00", "7pm-8am", "19:00-19:00", "19:00-08:00 moon", "25:00-08:00"} {
		if _, err := ParseHours(bad); err == nil {
			t.Errorf("ParseHours(%q) accepted", bad)
		}
	}
}

func mustHours(t *testing.T, s string) Hours {
	t.Helper()
	h, err := ParseHours(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
