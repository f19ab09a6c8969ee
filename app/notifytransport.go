package app

import (
	"errors"

	"fyne.io/fyne/v2"
	"github.com/rs/zerolog"
)

// desktopNotifications shows notifications, deciding nothing (notifier does): where the desktop
// reports clicks (Linux: clickNotifier, over D-Bus) a click opens a page; elsewhere, or when the
// notification daemon cannot, the notification is Fyne's, which cannot be clicked.
//
// Concurrency: read-only once made. Show returns at once: a clickable notification is sent from a
// goroutine of owner (the D-Bus call may wait for the daemon), Fyne's through fyne.Do.
type desktopNotifications struct {
	app    fyne.App
	log    zerolog.Logger
	owner  *owner
	clicks *clickNotifier
	open   func(url string) // what a click does
}

func newDesktopNotifications(a fyne.App, log zerolog.Logger, o *owner, open func(url string)) *desktopNotifications {
	return &desktopNotifications{app: a, log: log, owner: o, clicks: newClickNotifier(log, a.UniqueID(), notificationIcon), open: open}
}

// Run follows the notification daemon's clicks until ctx ends.
func (d *desktopNotifications) Run() { d.clicks.run(d.owner.ctx) }

// Show shows a notification; a click opens openURL ("": nothing) where the desktop allows.
func (d *desktopNotifications) Show(title, body, openURL string) {
	if openURL == "" {
		d.showFyne(title, body)
		return
	}
	d.owner.Go(func() {
		err := d.clicks.notify(d.owner.ctx, title, body, func() { d.open(openURL) })
		switch {
		case err == nil:
		case errors.Is(err, errNoClicks):
			d.showFyne(title, body)
		case errors.Is(err, errUnsent):
			d.log.Debug().Err(err).Msg("a clickable notification could not be sent; sending a plain one")
			d.showFyne(title, body)
		default: // it may have been shown: a second one could be a duplicate
			d.log.Warn().Err(err).Str("title", title).Msg("notification")
		}
	})
}

// showFyne shows a notification that cannot be clicked.
func (d *desktopNotifications) showFyne(title, body string) {
	notification := fyne.NewNotification(title, body)
	fyne.Do(func() { d.app.SendNotification(notification) })
}
