package app

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"
)

// trayHostWatch shows the menu's window as hostPresence decides from what watchTrayHost reports.
//
// Concurrency: all its state is local to Run, one goroutine; the window is shown through show,
// which must not block (the tray's goes through fyne.Do).
type trayHostWatch struct {
	log   zerolog.Logger
	owner *owner
	// hasTray is false when Fyne's driver has no system tray: no host can come.
	hasTray bool
	// watch is watchTrayHost (tests give another).
	watch func(ctx context.Context, hostUp func(up bool)) error
	show  func(visible bool)
}

type hostReport struct {
	up  bool
	err error
}

// Run shows the window while no tray host shows the menu, until the owner's context ends.
func (h trayHostWatch) Run() {
	ctx := h.owner.ctx
	reports := make(chan hostReport)
	presence := newHostPresence(time.Now())
	why := noTrayHost // why the window is shown
	if h.hasTray {
		h.owner.Go(func() { h.follow(ctx, reports) })
	} else {
		why = h.took(hostReport{err: errors.New("this Fyne driver has no system tray")}, &presence, true, why)
	}
	shown, first := false, true
	for {
		show, askAgainAt := presence.window(time.Now())
		if show != shown {
			shown = show
			if show {
				h.log.Warn().Str("reason", why).Msg("no system tray to show the menu in; showing a window instead")
			}
			h.show(show)
		}
		var due <-chan time.Time // nil: nothing to wait for
		if !askAgainAt.IsZero() {
			due = time.After(time.Until(askAgainAt))
		}
		select {
		case <-ctx.Done():
			return
		case <-due:
		case r := <-reports:
			if ctx.Err() != nil { // at logout the bus closes as the tray quits: no warning then
				return
			}
			why = h.took(r, &presence, first, why)
			first = false
		}
	}
}

// follow sends watchTrayHost's reports until ctx ends.
func (h trayHostWatch) follow(ctx context.Context, reports chan<- hostReport) {
	send := func(r hostReport) {
		select {
		case reports <- r:
		case <-ctx.Done():
		}
	}
	if err := h.watch(ctx, func(up bool) { send(hostReport{up: up}) }); err != nil {
		send(hostReport{err: err})
	}
}

// took records a report in presence, logs what it means, and returns why the window is shown.
func (h trayHostWatch) took(r hostReport, presence *hostPresence, first bool, why string) string {
	switch {
	case r.err != nil:
		presence.noHostCanCome(time.Now())
		return r.err.Error()
	case r.up && !presence.up:
		h.log.Info().Msg("a system tray is here; the menu is in it")
		why = noTrayHost
	case !r.up && first:
		h.log.Info().Dur("wait", waitForHostAtStart).Msg("no system tray yet; waiting for the panel before showing a window")
	case !r.up && presence.up:
		h.log.Info().Dur("wait", waitForHostBack).Msg("the system tray went away; a window shows the menu unless it is back soon")
	}
	presence.hostChanged(r.up, time.Now())
	return why
}

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

// hostPresence decides when the window shown without a tray host is on screen: once a host has
// been missing for a while (waitForHostAtStart, waitForHostBack), or at once when none can come.
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
