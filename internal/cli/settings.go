package cli

import (
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/flamenco-tray/flamenco-tray/app"
	"github.com/flamenco-tray/flamenco-tray/internal/farm"
	"github.com/flamenco-tray/flamenco-tray/internal/machineconfig"
	"github.com/flamenco-tray/flamenco-tray/internal/settings"
)

// traySettings are the tray's settings the commands use too.
type traySettings struct {
	Identity       farm.Identity
	KnownManagers  []string // remembered from earlier runs
	ManualManagers []string // added by hand
	// SetByIT are the Managers IT set for every user of this computer, checked like those added by
	// hand (SetByIT.With(ManualManagers)).
	SetByIT machineconfig.Managers
}

// readTraySettings reads the tray's settings through Fyne's preferences of the tray's app ID, as the
// tray does: creating the app loads them and needs no display (the app is never run).
func readTraySettings() traySettings {
	store := fyneapp.NewWithID(app.ID).Preferences()
	return traySettings{Identity: settings.Load(store).Identity, KnownManagers: settings.KnownManagers(store),
		ManualManagers: settings.ManualManagers(store), SetByIT: machineconfig.ReadManagers()}
}
