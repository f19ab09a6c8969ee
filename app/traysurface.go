package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"github.com/rs/zerolog"
)

// traySurface puts views on screen: the menu and icon in the tray host, and the menu in the window
// shown without one. It sends only what changed, so a click on an item ID just read still lands.
//
// Concurrency: Fyne's main goroutine only.
type traySurface struct {
	desk   desktop.App // nil without tray support
	log    zerolog.Logger
	onMenu func(*fyne.Menu) // a new menu was shown

	shown     *trayView
	menusSent int
	trayMenu  *fyne.Menu // the one menu given to Fyne
}

func newTraySurface(desk desktop.App, log zerolog.Logger, onMenu func(*fyne.Menu)) *traySurface {
	return &traySurface{desk: desk, log: log, onMenu: onMenu}
}

// Show puts view on screen.
func (s *traySurface) Show(view trayView) {
	if s.shown == nil || view.key != s.shown.key {
		if s.desk != nil {
			// Fyne's tray start-up re-applies the first menu it was given, after any later one: so
			// there is one menu, its items replaced, and the start-up shows the latest.
			if s.trayMenu == nil {
				s.trayMenu = fyne.NewMenu(view.menu.Label)
			}
			s.trayMenu.Items = view.menu.Items
			s.desk.SetSystemTrayMenu(s.trayMenu)
		}
		s.onMenu(view.menu)
		s.menusSent++
		s.log.Debug().Int("menus_sent", s.menusSent).Msg("tray menu sent")
	}
	if (s.shown == nil || view.icon != s.shown.icon) && s.desk != nil {
		s.desk.SetSystemTrayIcon(iconResource(view.icon))
	}
	s.shown = &view
}
