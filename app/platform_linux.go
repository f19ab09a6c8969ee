package app

import "github.com/godbus/dbus/v5"

// trayHostAvailable reports whether a StatusNotifierItem host (a panel that shows tray icons) runs on
// the session bus. GNOME has none without the AppIndicator extension; Fyne would then show nothing.
func trayHostAvailable() (bool, string) {
	conn, err := dbus.SessionBusPrivate()
	if err != nil {
		return false, "no D-Bus session bus: " + err.Error()
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return false, "D-Bus session bus refused us: " + err.Error()
	}
	if err := conn.Hello(); err != nil {
		return false, "D-Bus session bus refused us: " + err.Error()
	}
	var owned bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&owned); err != nil {
		return false, "cannot ask D-Bus for a tray host: " + err.Error()
	}
	if !owned {
		return false, "no system tray host (org.kde.StatusNotifierWatcher) on this desktop; on GNOME install the AppIndicator extension"
	}
	return true, ""
}
