package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/flamenco-tray/flamenco-tray/app"
)

// trayPreferences are the tray's settings the command line uses too, read from Fyne's preferences
// file without starting Fyne (which would need a display). The keys are the app package's.
type trayPreferences struct {
	KnownManagers  []string // remembered from earlier runs
	ManualManagers []string // added by hand
	UserName       string
	MetadataKey    string
}

// readTrayPreferences reads the tray's preferences; none yet is no error.
func readTrayPreferences() (trayPreferences, error) {
	home, _ := os.UserHomeDir()
	configDir, _ := os.UserConfigDir()
	path := fynePreferencesPath(runtime.GOOS, home, configDir, app.ID)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return trayPreferences{}, nil
	}
	if err != nil {
		return trayPreferences{}, err
	}
	prefs, err := parseTrayPreferences(data)
	if err != nil {
		return trayPreferences{}, fmt.Errorf("%s: %w", path, err)
	}
	return prefs, nil
}

// fynePreferencesPath is where Fyne v2.7 keeps an app's preferences on a desktop system.
func fynePreferencesPath(goos, home, configDir, appID string) string {
	var root string
	switch goos {
	case "windows":
		root = filepath.Join(home, "AppData", "Roaming", "fyne")
	case "darwin":
		root = filepath.Join(home, "Library", "Preferences", "fyne")
	default:
		root = filepath.Join(configDir, "fyne")
	}
	return filepath.Join(root, appID, "preferences.json")
}

func parseTrayPreferences(data []byte) (trayPreferences, error) {
	var raw struct {
		KnownManagers  []string `json:"knownManagers"`
		ManualManagers []string `json:"manualManagers"`
		UserName       string   `json:"userName"`
		MetadataKey    string   `json:"jobMetadataKey"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return trayPreferences{}, err
	}
	return trayPreferences(raw), nil
}
