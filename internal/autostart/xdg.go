//go:build linux || freebsd || openbsd || netbsd || dragonfly

package autostart

import (
	"fmt"
	"os"
	"path/filepath"
)

const supported = true

// desktopEntryPath is $XDG_CONFIG_HOME/autostart/org.flamenco.tray.desktop, ~/.config when
// XDG_CONFIG_HOME is unset or not absolute (the Base Directory spec says to ignore a relative one).
func desktopEntryPath() (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find the autostart folder: %w", err)
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "autostart", ID+".desktop"), nil
}

func install(exe string) error {
	path, err := desktopEntryPath()
	if err != nil {
		return err
	}
	entry, err := DesktopEntry(exe)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, entry)
}

func uninstall() error {
	path, err := desktopEntryPath()
	if err != nil {
		return err
	}
	return removeFile(path)
}

func read() (Status, error) {
	path, err := desktopEntryPath()
	if err != nil {
		return Status{}, err
	}
	return readEntryFile(path, desktopEntryProgram)
}
