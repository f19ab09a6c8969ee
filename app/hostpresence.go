package app

import "time"

const (
	// waitForHostAtStart is how long the tray waits at start for a tray host before it shows its
	// window: started at login, it often runs before the panel does.
	waitForHostAtStart = 20 * time.Second
	// waitForHostBack is how long a host that went away has to come back before the window shows:
	// a panel that restarts is back within it, and the window does not flash.
	waitForHostBack = 3 * time.Second
)

// noTrayHost is why the window is shown when no panel shows tray icons.
const noTrayHost = "no system tray host (org.kde.StatusNotifierWatcher) on this desktop; on GNOME install the AppIndicator extension"

// hostPresence decides when the window shown without a tray host is on screen: never while a host
// is up, and only after a host has been missing for a while (waitForHostAtStart at start,
// waitForHostBack after it went), or at once when none can come.
type hostPresence struct {
	up       bool
	downFrom time.Time     // when the host was last known to be missing: start, or when it went
	wait     time.Duration // how long from downFrom before the window shows
}

func newHostPresence(start time.Time) hostPresence {
	return hostPresence{downFrom: start, wait: waitForHostAtStart}
}

// hostChanged records whether a host is up, as seen at now.
func (h *hostPresence) hostChanged(up bool, now time.Time) {
	switch {
	case up:
		h.up = true
	case h.up: // it went
		h.up, h.downFrom, h.wait = false, now, waitForHostBack
	}
	// Still missing: the wait already running goes on.
}

// noHostCanCome records that no host can appear (no session bus, or a driver without a tray).
func (h *hostPresence) noHostCanCome(now time.Time) {
	h.up, h.downFrom, h.wait = false, now, 0
}

// window reports whether the window is shown at now and, while that waits, when to ask again.
func (h hostPresence) window(now time.Time) (show bool, askAgainAt time.Time) {
	if h.up {
		return false, time.Time{}
	}
	due := h.downFrom.Add(h.wait)
	if now.Before(due) {
		return false, due
	}
	return true, time.Time{}
}
