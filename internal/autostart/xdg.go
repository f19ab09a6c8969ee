//go:build linux || freebsd || openbsd || netbsd || dragonfly

package autostart

import (
	"fmt"
	"os"
	"path/filepath"
)

// userReplacesEveryone: an entry in the user's autostart folder takes the place of the one of the
// same name in the folders for everyone (the autostart spec's "most important directory").
const userReplacesEveryone = true

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

// uninstall removes this user's entry. Where there is an entry for everyone (or one that cannot be
// read, which a desktop may still start), it writes an entry with Hidden=true instead, which hides
// that one for this user: off in Settings is off.
func uninstall() error {
	path, err := desktopEntryPath()
	if err != nil {
		return err
	}
	everyone, everyoneErr := readEveryone()
	if everyone.Exe == "" && everyoneErr == nil {
		return removeFile(path)
	}
	return writeFileAtomic(path, hiddenDesktopEntry(everyone.Exe))
}

func read() (Status, error) {
	path, err := desktopEntryPath()
	if err != nil {
		return Status{}, err
	}
	return readEntryFile(path, desktopEntryProgram)
}

// readEveryone reads the entry for everyone: the first of the system autostart folders that has
// one, since only the most important counts. A dangling link (the package removed, IT's link left)
// is no entry, as desktops see it.
func readEveryone() (Status, error) {
	own, _ := desktopEntryPath()
	paths := systemAutostartPaths(os.Getenv("XDG_CONFIG_DIRS"))
	for _, path := range paths {
		if path == own {
			continue // XDG_CONFIG_DIRS names the user's own folder: that entry is not IT's
		}
		status, err := readEntryFile(path, desktopEntryProgram)
		if err != nil || status.Exe != "" {
			return status, err
		}
	}
	return Status{Where: paths[0]}, nil
}
