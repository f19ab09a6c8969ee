// Command minimaltray is the smallest Fyne tray app: an icon and a one-item menu. The idle benchmark
// runs it next to flamenco-tray as Fyne's own floor for CPU time and memory.
package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/flamenco-tray/flamenco-tray/assets"
)

func main() {
	a := app.NewWithID("org.flamenco.tray.minimal")
	a.SetIcon(assets.AppIcon)
	if desk, ok := a.(desktop.App); ok {
		desk.SetSystemTrayMenu(fyne.NewMenu("Minimal", fyne.NewMenuItem("Hello", func() {})))
		desk.SetSystemTrayIcon(assets.TrayFoundIcon)
	}
	a.Run()
}
