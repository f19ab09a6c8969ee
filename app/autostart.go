package app

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// autostartSupported reports whether "Start at login" can be set here: on freedesktop systems it is
// a .desktop file in ~/.config/autostart.
func autostartSupported() bool {
	return needsDisplay()
}

// setAutostart adds or removes the autostart entry for the running executable.
func setAutostart(enabled bool) error {
	if !autostartSupported() {
		return fmt.Errorf("start at login is not available on %s yet", runtime.GOOS)
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "autostart", ID+".desktop")
	if !enabled {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	entry := fmt.Sprintf("[Desktop Entry]\nType=Application\nName=Flamenco Tray\nComment=Flamenco Managers on the network\nExec=%q\nX-GNOME-Autostart-enabled=true\n", exe)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(entry), 0o644)
}
