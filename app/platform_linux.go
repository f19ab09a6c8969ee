package app

import (
	"bufio"
	"os"
	"strings"

	"github.com/godbus/dbus/v5"
)

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

// ssdpPortHeld reports whether some socket on this machine is bound to UDP port 1900, without binding
// it (a test bind could make a Manager starting at that moment lose its discovery).
func ssdpPortHeld() bool {
	for _, table := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		f, err := os.Open(table)
		if err != nil {
			continue
		}
		scanner := bufio.NewScanner(f)
		for scanner.Scan() {
			fields := strings.Fields(scanner.Text())
			// local_address is "ADDR:PORT" in hex; 1900 is 076C.
			if len(fields) > 1 && strings.HasSuffix(fields[1], ":076C") {
				f.Close()
				return true
			}
		}
		f.Close()
	}
	return false
}
