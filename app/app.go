// Package app is Flamenco Tray's user interface: a Fyne system-tray app whose menu is a pure
// function of a snapshot (menu.go, farmmenu.go). The tray (tray.go, trayactions.go) only wires
// and rebuilds it; each concern is a component with its concurrency rule written at its top:
//   - localManager (localmanager.go): the Manager on this machine, and advertising it;
//   - notifier (notifier.go, notifylimit.go, jobnotices.go): which notifications are shown, and
//     when; desktopNotifications (notifytransport.go, clicknotify_*.go): showing them;
//   - windows (windows.go, settings.go, about.go, manual.go, fallback.go): the windows;
//   - traySurface (traysurface.go) and trayHostWatch (hostwatch.go): the menu in the tray host, or
//     in a window while there is none;
//   - farmSet (farms.go) and workerSet (localworkers.go): the farms watched, the Workers run here;
//   - lendingSet (lending.go, lendingmenu.go, settings.go) and desktopIdle (desktopidle.go):
//     lending this computer to farms while its user is away, on the Workers of workerSet.
package app

import (
	"context"
	"errors"
	"os"
	"runtime"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"github.com/rs/zerolog"

	"github.com/flamenco-tray/flamenco-tray/assets"
)

// ID is the application id, as in FyneApp.toml; Fyne keeps preferences under it.
const ID = "org.flamenco.tray"

// Options configure Run.
type Options struct {
	Logger  zerolog.Logger
	Version string
	// LogPath is the log file, shown in Settings.
	LogPath string
	// ShowRequests receives when another launch of the tray asked this one to show itself.
	ShowRequests <-chan struct{}
	// Quitting, when set, is called once the tray's window loop has ended, before it waits for its
	// work: a launch from then on starts a new tray rather than asking this one to show itself.
	Quitting func()
}

// ErrNoDisplay is returned when there is no desktop session to show a tray in.
var ErrNoDisplay = errors.New("no display: Flamenco Tray needs a desktop session (DISPLAY or WAYLAND_DISPLAY is not set); " +
	"on a machine without one, use \"flamenco-tray discover --watch\" and \"flamenco-tray advertise\"")

// CheckDisplay returns ErrNoDisplay when there is no desktop session to show a tray in.
func CheckDisplay() error {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd": // where Fyne's driver needs an X11 or Wayland display
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return ErrNoDisplay
		}
	}
	return nil
}

// Run shows the tray and blocks until the user quits or ctx ends.
func Run(ctx context.Context, opts Options) error {
	if err := CheckDisplay(); err != nil {
		return err
	}
	if err := openDisplay(); err != nil {
		return err
	}
	a := fyneapp.NewWithID(ID)
	a.SetIcon(assets.AppIcon)
	newTray(ctx, a, opts).run()
	return nil
}

// trayIcons are the tray's icons by state.
var trayIcons = map[IconState]fyne.Resource{
	IconSearching:      assets.TraySearchingIcon,
	IconNoManager:      assets.TrayNoManagerIcon,
	IconManagersFound:  assets.TrayFoundIcon,
	IconAdvertising:    assets.TrayAdvertisingIcon,
	IconRendering:      assets.TrayRenderingIcon,
	IconMyJobRendering: assets.TrayMyJobRenderingIcon,
	IconMyJobFailed:    assets.TrayMyJobFailedIcon,
}

// iconResource returns the tray icon for a state.
func iconResource(state IconState) fyne.Resource { return trayIcons[state] }
