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
		why = r.err.Error()
		presence.noHostCanCome(time.Now())
		return why
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
