// Package assets holds Flamenco Tray's icons, bundled into the binary. They are PNG because tray hosts
// cannot show SVG, 64×64. The tray icons other than tray-found.png are drawn from it by
// build/assets/mktrayicons.go, each pixel opaque or transparent (it says why).
package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

var (
	//go:embed icon.png
	appIcon []byte
	//go:embed tray-searching.png
	traySearching []byte
	//go:embed tray-none.png
	trayNone []byte
	//go:embed tray-found.png
	trayFound []byte
	//go:embed tray-advertising.png
	trayAdvertising []byte
	//go:embed tray-rendering.png
	trayRendering []byte
	//go:embed tray-my-job-rendering.png
	trayMyJobRendering []byte
	//go:embed tray-my-job-failed.png
	trayMyJobFailed []byte
)

// Icons for the app and the tray's states.
var (
	AppIcon             = fyne.NewStaticResource("flamenco-tray.png", appIcon)
	TraySearchingIcon   = fyne.NewStaticResource("tray-searching.png", traySearching)
	TrayNoManagerIcon   = fyne.NewStaticResource("tray-none.png", trayNone)
	TrayFoundIcon       = fyne.NewStaticResource("tray-found.png", trayFound)
	TrayAdvertisingIcon = fyne.NewStaticResource("tray-advertising.png", trayAdvertising)
	// TrayRenderingIcon: this computer renders for a farm (lent while its user is away).
	TrayRenderingIcon = fyne.NewStaticResource("tray-rendering.png", trayRendering)
	// TrayMyJobRenderingIcon: one of the user's jobs renders.
	TrayMyJobRenderingIcon = fyne.NewStaticResource("tray-my-job-rendering.png", trayMyJobRendering)
	// TrayMyJobFailedIcon: one of the user's jobs failed, and the user has not looked at it yet.
	TrayMyJobFailedIcon = fyne.NewStaticResource("tray-my-job-failed.png", trayMyJobFailed)
)
