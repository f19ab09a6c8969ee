//go:build !linux

package app

// trayHostAvailable: macOS and Windows always have a tray.
func trayHostAvailable() (bool, string) { return true, "" }

// ssdpPortHeld cannot tell without binding the port; starting to advertise will say.
func ssdpPortHeld() bool { return false }
