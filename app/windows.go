package app

import (
	"context"

	"fyne.io/fyne/v2"
	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/internal/autostart"
)

// windows opens the tray's windows, each at most once: a second click raises it. Fyne's main
// goroutine only (menu clicks run there; others call through fyne.Do).
type windows struct {
	app     fyne.App
	log     zerolog.Logger
	ctx     context.Context // the tray's: the manual window's checks end with it
	version string
	logPath string
	with    windowActions

	open map[string]fyne.Window // by what it shows: "about", "cancel/<job ID>", …

	fallback      fyne.Window // made the first time it is shown
	fallbackShown bool
	menu          *fyne.Menu // the latest menu, which the fallback window shows
}

// windowActions are what the windows need of the rest of the tray; all are called on Fyne's main
// goroutine.
type windowActions struct {
	Settings     func() Settings
	SaveSettings func(Settings)                   // applies and keeps new settings
	Connections  func() []string                  // how each Manager's changes arrive (About)
	Manual       func() ([]string, manualActions) // the Managers added by hand, and the buttons' actions
	Notify       func(title, body string)         // a notification that cannot be clicked
}

func newWindows(ctx context.Context, a fyne.App, log zerolog.Logger, version, logPath string, with windowActions) *windows {
	return &windows{app: a, log: log, ctx: ctx, version: version, logPath: logPath, with: with,
		open: map[string]fyne.Window{}}
}

// showOnce shows the window open under key, or makes one with build and keeps it there until it
// closes, so a second click raises the window rather than opening another.
func (w *windows) showOnce(key string, build func() fyne.Window) {
	if open, ok := w.open[key]; ok {
		open.RequestFocus()
		return
	}
	win := build()
	win.SetOnClosed(func() { delete(w.open, key) })
	w.open[key] = win
	win.Show()
}

// ShowManual opens the window of Managers added by hand.
func (w *windows) ShowManual() {
	w.showOnce("manual", func() fyne.Window {
		current, actions := w.with.Manual()
		return newManualWindow(w.ctx, w.app, current, actions)
	})
}

// ShowSettings opens the Settings window.
func (w *windows) ShowSettings() {
	w.showOnce("settings", func() fyne.Window {
		current := w.with.Settings()
		// The switch shows what applies, which "flamenco-tray autostart" or IT (for everyone) may
		// have changed since.
		var login loginSwitch
		if l, err := autostart.QueryLogin(); err != nil {
			w.log.Warn().Err(err).Msg("cannot tell whether start at login is on")
		} else {
			current.StartAtLogin, login = l.On(), startAtLoginSwitch(l)
			if l.EveryoneErr != nil {
				w.log.Warn().Err(l.EveryoneErr).Msg("cannot tell whether start at login is on for everyone")
			}
		}
		return newSettingsWindow(w.app, current, login, w.logPath, w.with.SaveSettings, w.ShowManual)
	})
}

// SetMenu is the menu now shown: the fallback window shows it too.
func (w *windows) SetMenu(menu *fyne.Menu) {
	w.menu = menu
	if w.fallback != nil {
		w.fallback.SetContent(fallbackContent(menu))
	}
}

// ShowFallback shows or hides the window that shows the menu without a tray host.
func (w *windows) ShowFallback(visible bool) {
	w.fallbackShown = visible
	if visible && w.fallback == nil {
		w.fallback = newFallbackWindow(w.app, w.menu)
	}
	switch {
	case visible:
		w.fallback.Show()
	case w.fallback != nil:
		w.fallback.Hide()
	}
}

// ShowItself is what a second launch gets: fyne.io/systray cannot open the tray menu from the app's
// side, so a notification says where the tray is; the fallback window, when it is in use, is shown
// and raised.
func (w *windows) ShowItself() {
	if w.ctx.Err() != nil {
		return // quitting: after Fyne's loop ended, fyne.Do runs this on the caller's goroutine
	}
	body := "Its menu is in the system tray."
	if w.fallbackShown {
		w.fallback.Show()
		w.fallback.RequestFocus()
		body = "Its window is open."
	}
	w.with.Notify("Flamenco Tray is already running", body)
}
