package lending

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Hours is a daily window when lending is allowed, in local time: From to To, through midnight when
// To is not after From (19:00–08:00), on the weekdays the window starts (Friday's 19:00–08:00 ends on
// Saturday morning). The zero value allows any time.
type Hours struct {
	From, To time.Duration // since midnight, whole minutes
	Days     Weekdays      // none: every day
}

// Weekdays is a set of days, bit 1<<time.Weekday.
type Weekdays uint8

// IsZero says whether h allows any time.
func (h Hours) IsZero() bool { return h.From == h.To && h.Days == 0 }

// Contains says whether lending is allowed at t.
func (h Hours) Contains(t time.Time) bool {
	if h.IsZero() {
		return true
	}
	// By the clock, not by elapsed time: a daylight-saving day has 23 or 25 hours.
	sinceMidnight := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
		time.Duration(t.Second())*time.Second
	// Through midnight, the early hours belong to the window that started the day before.
	if h.To <= h.From && sinceMidnight < h.To {
		return h.startsOn((t.Weekday() + 6) % 7)
	}
	if !h.startsOn(t.Weekday()) || sinceMidnight < h.From {
		return false
	}
	return h.To <= h.From || sinceMidnight < h.To
}

func (h Hours) startsOn(d time.Weekday) bool { return h.Days == 0 || h.Days&(1<<d) != 0 }

// String is the form ParseHours reads: "19:00-08:00 mon,tue,wed,thu,fri", or "" for any time.
func (h Hours) String() string {
	if h.IsZero() {
		return ""
	}
	s := clock(h.From) + "-" + clock(h.To)
	if h.Days != 0 {
		var days []string
		for i := 1; i <= 7; i++ { // Monday first, as studios' weeks are written
			if d := time.Weekday(i % 7); h.Days&(1<<d) != 0 {
				days = append(days, dayNames[d])
			}
		}
		s += " " + strings.Join(days, ",")
	}
	return s
}

func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60)
}

var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseHours reads "HH:MM-HH:MM", optionally followed by a space and days ("mon,tue,fri"); "" is
// any time. From and To may not be equal: that is either nothing or everything.
func ParseHours(s string) (Hours, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Hours{}, nil
	}
	span, days, _ := strings.Cut(s, " ")
	from, to, ok := strings.Cut(span, "-")
	if !ok {
		return Hours{}, fmt.Errorf("hours %q: want HH:MM-HH:MM, like 19:00-08:00", s)
	}
	var h Hours
	var err error
	if h.From, err = parseClock(from); err != nil {
		return Hours{}, err
	}
	if h.To, err = parseClock(to); err != nil {
		return Hours{}, err
	}
	if h.From == h.To {
		return Hours{}, fmt.Errorf("hours %q: the window starts and ends at the same time", s)
	}
	for _, name := range strings.FieldsFunc(strings.ToLower(days), func(r rune) bool { return r == ',' || r == ' ' }) {
		i := slices.Index(dayNames[:], name)
		if i < 0 {
			return Hours{}, fmt.Errorf("hours %q: %q is not a day (mon, tue, wed, thu, fri, sat, sun)", s, name)
		}
		h.Days |= 1 << i
	}
	return h, nil
}

func parseClock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day like 19:00", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// atTimeOfDay is day's local time d after midnight, by the clock (a daylight-saving day included).
func atTimeOfDay(day time.Time, d time.Duration) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), int(d.Hours()), int(d.Minutes())%60, 0, 0, day.Location())
}
