// Package autostart starts Flamenco Tray when the user logs in, the way each desktop expects: an
// XDG autostart entry (~/.config/autostart/org.flamenco.tray.desktop) on Linux and the BSDs, the
// per-user Run key on Windows, a LaunchAgent (~/Library/LaunchAgents/org.flamenco.tray.plist) on
// macOS. An entry studio IT set for everyone (the machine-wide Run value, /etc/xdg/autostart,
// /Library/LaunchAgents) is only read (QueryLogin); login.go decides which entry applies.
//
// Entries are made and read by pure functions, tested on every OS; the per-OS files only put them
// where the desktop looks. Nothing starts the program now: an entry takes effect at the next login
// (loading a LaunchAgent with RunAtLoad would start a second tray at once).
package autostart

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/flamenco-tray/flamenco-tray/internal/atomicfile"
)

// ID names the entry on every OS: the desktop file, the LaunchAgent's label and file.
const ID = "org.flamenco.tray"

// RunValueName is the Windows Run key's value name, shown by Task Manager's Startup tab.
const RunValueName = "Flamenco Tray"

// Status is one entry: this user's own (Login.User), or the one for everyone (Login.Everyone).
type Status struct {
	// On is true when the entry exists and is not turned off. (Whether it applies for this user is
	// Login's to say: this user's entry may hide the one for everyone.)
	On bool
	// Where is the entry: a file, or a registry key and value name.
	Where string
	// Exe is the program the entry starts; empty when there is no entry.
	Exe string
	// Disabled says why an entry that exists does not start at login (Hidden=true, turned off in
	// Task Manager); empty otherwise.
	Disabled string
}

// Starts reports whether the entry starts the program at exe (a path from Executable).
func (s Status) Starts(exe string) bool {
	if s.Exe == "" {
		return false
	}
	if samePath(runtime.GOOS, s.Exe, exe) {
		return true
	}
	// The same file by another name (a hard link; another case on a case-insensitive disk).
	a, errA := os.Stat(s.Exe)
	b, errB := os.Stat(exe)
	return errA == nil && errB == nil && os.SameFile(a, b)
}

// samePath compares two paths as the file system of goos would, without touching it: Windows
// ignores case.
func samePath(goos, a, b string) bool {
	if goos == "windows" {
		return strings.EqualFold(cleanWindows(a), cleanWindows(b))
	}
	return filepath.Clean(a) == filepath.Clean(b)
}

// cleanWindows cleans a Windows path on any OS (filepath.Clean knows only this OS's separator).
func cleanWindows(p string) string {
	return strings.TrimRight(strings.ReplaceAll(p, "/", `\`), `\`)
}

// Executable is this program's file with symbolic links resolved: what an entry should start, and
// what Status.Starts is asked about, so that an entry left behind by a moved binary is noticed.
func Executable() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find this program's file: %w", err)
	}
	resolved, err := filepath.EvalSymlinks(exe)
	if err != nil {
		return "", fmt.Errorf("find this program's file (%s): %w", exe, err)
	}
	return filepath.Abs(resolved)
}

// Enable makes the desktop start exe at login, replacing any entry there is.
func Enable(exe string) error {
	if !filepath.IsAbs(exe) {
		return fmt.Errorf("start at login needs an absolute path, not %q", exe)
	}
	return install(exe)
}

// Disable removes this user's entry, if there is one. On an XDG desktop with an entry for everyone,
// it writes this user's entry with Hidden=true instead, which turns that one off for this user;
// elsewhere the entry for everyone stays (QueryLogin tells).
func Disable() error {
	return uninstall()
}

// writeFileAtomic writes data to path through a temporary file in the same directory, so that a
// desktop reading it at login never sees half an entry.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return atomicfile.Write(path, data, 0o644)
}

// removeFile removes path; a file that is not there is not an error.
func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return nil
}

// readEntryFile reads the entry at path with parse (which returns the program it starts and, when
// the entry is turned off, how): a missing file is "off", not an error.
func readEntryFile(path string, parse func([]byte) (exe, disabled string, err error)) (Status, error) {
	status := Status{Where: path}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return status, nil
	}
	if err != nil {
		return status, fmt.Errorf("read %s: %w", path, err)
	}
	status.Exe, status.Disabled, err = parse(data)
	if err != nil {
		return status, fmt.Errorf("read %s: %w", path, err)
	}
	status.On = status.Disabled == ""
	return status, nil
}
