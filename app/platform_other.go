//go:build !linux

package app

// trayHostAvailable: macOS and Windows always have a tray.
func trayHostAvailable() (bool, string) { return true, "" }
