// Package lending lends this computer to a Manager's farm while its user is away: a local Worker that
// starts (or wakes) when the keyboard, mouse and tablet have been idle long enough, or the screen is
// locked, and is sent asleep the moment the user is back.
//
// The decision is a pure function of the policy, what the desktop says about the user and the time
// (Decide); the Lender (lender.go) applies it to a local Worker.
package lending

import (
	"fmt"
	"time"
)

// Limits of the policy.
const (
	DefaultAwayAfter = 10 * time.Minute
	MinAwayAfter     = time.Minute
)

// WhenBack is what happens to a lent Worker's current task when the user comes back.
type WhenBack string

// The choices of WhenBack.
const (
	StopNow    WhenBack = "stop"   // the Worker sleeps at once; the Manager requeues its task
	FinishTask WhenBack = "finish" // the Worker sleeps once its current task is done
)

// ParseWhenBack reads "stop" or "finish".
func ParseWhenBack(s string) (WhenBack, error) {
	switch WhenBack(s) {
	case StopNow, FinishTask:
		return WhenBack(s), nil
	}
	return "", fmt.Errorf("--when-back must be stop or finish, not %q", s)
}

// Policy is the user's choice for one Manager.
type Policy struct {
	Enabled   bool
	AwayAfter time.Duration // without input this long, the user is away (at least MinAwayAfter)
	Hours     Hours         // when lending is allowed; the zero value allows any time
	// LoadLimit, when above 0, keeps the computer while other programs (not the Worker) use more
	// than this share of its CPUs (0.5: half of them).
	LoadLimit float64
	WhenBack  WhenBack
}

// Normalized fills the defaults and raises AwayAfter to the minimum.
func (p Policy) Normalized() Policy {
	if p.AwayAfter == 0 {
		p.AwayAfter = DefaultAwayAfter
	}
	p.AwayAfter = max(p.AwayAfter, MinAwayAfter)
	if p.WhenBack == "" {
		p.WhenBack = StopNow
	}
	return p
}

// Inputs are what the desktop and the computer say now.
type Inputs struct {
	Idle       time.Duration // since the last input
	Locked     bool          // the screen is locked: away, however recent the last input
	IdleErr    error         // idle cannot be read: never lend
	OtherLoad  float64       // the share of the CPUs other programs use; see LoadErr
	LoadErr    error         // the load cannot be read: lend only without a LoadLimit
	NotTonight time.Time     // "Not tonight" was chosen: no lending before this time
}

// Mode is what the computer does for the farm, and why.
type Mode string

// The modes of a Decision.
const (
	Off          Mode = "off"           // lending is off for this Manager
	NoIdle       Mode = "no-idle"       // idle cannot be read on this desktop
	SkipTonight  Mode = "not-tonight"   // "Not tonight" until the morning
	OutsideHours Mode = "outside-hours" // outside the hours chosen
	Loaded       Mode = "loaded"        // other programs use the computer
	Here         Mode = "here"          // the user is here; ToGo says when they count as away
	Away         Mode = "away"          // the user is away: lend
)

// Decision is what Decide concludes.
type Decision struct {
	Mode   Mode
	ToGo   time.Duration // for Here: how much longer without input before lending
	Reason string        // for NoIdle, OutsideHours and Loaded: why, in words for the menu
}

// Decide says whether to lend the computer now. It is safe by default: never while the setting is
// off, idle cannot be read, "Not tonight" holds, outside the hours, while other programs keep the
// computer busy, or while the user is active.
func Decide(p Policy, in Inputs, now time.Time) Decision {
	p = p.Normalized()
	switch {
	case !p.Enabled:
		return Decision{Mode: Off}
	case in.IdleErr != nil:
		return Decision{Mode: NoIdle, Reason: in.IdleErr.Error()}
	case now.Before(in.NotTonight):
		return Decision{Mode: SkipTonight}
	case !p.Hours.Contains(now):
		return Decision{Mode: OutsideHours, Reason: "lends only " + p.Hours.String()}
	}
	if p.LoadLimit > 0 {
		if in.LoadErr != nil {
			return Decision{Mode: Loaded, Reason: "the load of other programs cannot be read: " + in.LoadErr.Error()}
		}
		if in.OtherLoad > p.LoadLimit {
			return Decision{Mode: Loaded, Reason: fmt.Sprintf("other programs use %.0f %% of the CPUs (limit %.0f %%)",
				100*in.OtherLoad, 100*p.LoadLimit)}
		}
	}
	if in.Locked || in.Idle >= p.AwayAfter {
		return Decision{Mode: Away}
	}
	return Decision{Mode: Here, ToGo: p.AwayAfter - in.Idle}
}

// NotTonightUntil is when "Not tonight", chosen at now, ends: the next end of the lending hours, or
// the next 08:00 when any time is allowed.
func NotTonightUntil(h Hours, now time.Time) time.Time {
	morning := h.To
	if h.IsZero() {
		morning = 8 * time.Hour
	}
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	end := atTimeOfDay(day, morning)
	if !end.After(now) {
		end = atTimeOfDay(day.AddDate(0, 0, 1), morning)
	}
	return end
}
