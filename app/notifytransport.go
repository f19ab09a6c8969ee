package app

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"github.com/rs/zerolog"
)

// notificationAppName is the app's name as notifications carry it: Plasma titles a notification
// with it (the app id, org.flamenco.tray, is no name for a person).
const notificationAppName = "Flamenco Tray"

// errUnsent says the notification was certainly not shown: send Fyne's instead. Other errors may
// have shown it.
var errUnsent = errors.New("notification not sent")

// desktopNotice is one notification to show.
type desktopNotice struct {
	title, body string
	image       []byte // a JPEG or PNG frame, or nil; bytes that are neither are left out
	onClick     func() // nil: a click does nothing
}

// noticeSender shows notices the way this desktop can: clickNotifier on Linux, toastNotifier on
// Windows, Fyne's on macOS (clicknotify_other.go).
type noticeSender interface {
	// run serves the sender (a D-Bus connection's signals) until ctx ends.
	run(ctx context.Context)
	// notify shows n, waiting for the desktop. errUnsent: send it another way.
	notify(ctx context.Context, n desktopNotice) error
}

// desktopNotifications shows notifications, deciding nothing (notifier does): through the
// desktop's own sender, or Fyne's where it cannot, without a click or an image.
//
// Concurrency: read-only once made. Show returns at once: the notification is sent from a
// goroutine of owner (the D-Bus call may wait for the daemon), Fyne's through fyne.Do.
type desktopNotifications struct {
	app    fyne.App
	log    zerolog.Logger
	owner  *owner
	sender noticeSender
	open   func(url string) // what a click does
}

func newDesktopNotifications(a fyne.App, log zerolog.Logger, o *owner, open func(url string)) *desktopNotifications {
	return &desktopNotifications{app: a, log: log, owner: o, sender: newNoticeSender(log, a.UniqueID()), open: open}
}

// Show shows a notification; where the desktop allows, a click opens openURL ("": nothing) and
// image, a JPEG or PNG (nil or no such image: none), shows in it.
func (d *desktopNotifications) Show(title, body, openURL string, image []byte) {
	n := desktopNotice{title: title, body: body, image: image}
	if openURL != "" {
		n.onClick = func() { d.open(openURL) }
	}
	d.owner.Go(func() {
		err := d.sender.notify(d.owner.ctx, n)
		switch {
		case err == nil:
		case errors.Is(err, errUnsent):
			d.log.Debug().Err(err).Msg("sending Fyne's notification instead, without a click or an image")
			fyne.Do(func() { d.app.SendNotification(fyne.NewNotification(title, body)) })
		default: // it may have been shown: a second one could be a duplicate
			d.log.Warn().Err(err).Str("title", title).Msg("notification")
		}
	})
}
