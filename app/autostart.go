package app

import (
	"fmt"

	"github.com/flamenco-tray/flamenco-tray/internal/autostart"
)

// autostartSupported reports whether "Start at login" can be set here.
func autostartSupported() bool {
	return autostart.Supported()
}

// startAtLoginOn reports whether an entry starts Flamenco Tray at login, whatever set it (the
// Settings switch, or "flamenco-tray autostart on" from a script), and whichever copy it starts.
func startAtLoginOn() (bool, error) {
	status, err := autostart.Query()
	return status.On, err
}

// setStartAtLogin makes the login entry match on: on writes it when it is missing, turned off, or
// starts another file (this program was moved); off removes it.
func setStartAtLogin(on bool) error {
	if !on {
		if _, err := autostart.Disable(); err != nil {
			return fmt.Errorf("turn start at login off: %w", err)
		}
		return nil
	}
	exe, err := autostart.Executable()
	if err != nil {
		return fmt.Errorf("turn start at login on: %w", err)
	}
	if status, err := autostart.Query(); err == nil && status.On && status.Starts(exe) {
		return nil
	}
	if _, err := autostart.Enable(exe); err != nil {
		return fmt.Errorf("turn start at login on: %w", err)
	}
	return nil
}
