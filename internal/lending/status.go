package lending

import (
	"fmt"
	"time"

	"github.com/flamenco-tray/flamenco-tray/internal/localworker"
)

// Rendering says whether this computer renders for the farm now (the tray's icon shows it).
func (s Status) Rendering() bool { return s.Lent && s.Worker.Phase == localworker.Busy }

// MenuLine is the menu's line about lending this computer to the Manager labelled manager, or ""
// when lending to it is off.
func (s Status) MenuLine(manager string) string {
	d := s.Decision
	switch d.Mode {
	case Off:
		return ""
	case NoIdle:
		return "Cannot lend this computer: " + d.Reason
	case SkipTonight:
		return "Not tonight: lending again from " + s.NotTonightUntil.Format("15:04")
	case OutsideHours:
		return "Not lending now: " + d.Reason
	case Loaded:
		return "Not lending: " + d.Reason
	case Here:
		if s.Worker.Phase == localworker.Asleep {
			return "You're here: the Worker sleeps"
		}
		return fmt.Sprintf("Will lend after %s away (%s to go)", minutes(s.AwayAfter), minutes(d.ToGo))
	}
	if !s.Lent {
		return "You're away; the Worker you started runs as it is"
	}
	switch s.Worker.Phase {
	case localworker.Busy:
		return fmt.Sprintf("Lending to %s: rendering %s", manager, s.Worker.Job)
	case localworker.Starting, localworker.NotRunning:
		return fmt.Sprintf("Lending to %s: starting the Worker", manager)
	case localworker.Error:
		return fmt.Sprintf("Lending to %s: the Worker failed (%s)", manager, s.Worker.Problem)
	}
	return fmt.Sprintf("Lending to %s: waiting for work", manager)
}

// BackNotice is the notification for a user back after the computer rendered for the farm.
func (t Tally) BackNotice() (title, body string) {
	return "Welcome back", fmt.Sprintf("While you were away this computer rendered %s of %s.",
		plural(t.Tasks, "task"), plural(t.Jobs, "job"))
}

// minutes writes d rounded up to whole minutes: "10 min", "1 min".
func minutes(d time.Duration) string {
	m := int((d + time.Minute - 1) / time.Minute)
	return fmt.Sprintf("%d min", max(m, 1))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
