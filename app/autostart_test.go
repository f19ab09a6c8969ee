//go:build linux

package app

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/autostart"
)

// loginConfig points XDG_CONFIG_HOME and XDG_CONFIG_DIRS at fresh folders and returns the latter.
func loginConfig(t *testing.T) string {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(t.TempDir(), "config"))
	xdg := filepath.Join(t.TempDir(), "xdg")
	t.Setenv("XDG_CONFIG_DIRS", xdg)
	return xdg
}

// The Settings switch puts the entry in line with itself whatever set it before: an entry for a
// moved binary is pointed here, and off removes whichever entry there is.
func TestSetStartAtLoginFollowsTheSwitch(t *testing.T) {
	loginConfig(t)
	exe, err := autostart.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := autostart.Enable("/opt/moved away/flamenco-tray"); err != nil {
		t.Fatal(err)
	}
	if login, err := autostart.QueryLogin(); err != nil || !login.On() {
		t.Fatalf("an entry for another file: %+v, %v", login, err)
	}
	if err := setStartAtLogin(true); err != nil {
		t.Fatal(err)
	}
	if login, err := autostart.QueryLogin(); err != nil || !login.User.On || !login.User.Starts(exe) {
		t.Errorf("after switching on: %+v, %v; want this user's entry to start %s", login, err, exe)
	}
	if err := setStartAtLogin(false); err != nil {
		t.Fatal(err)
	}
	if login, err := autostart.QueryLogin(); err != nil || login.On() {
		t.Errorf("after switching off: %+v, %v", login, err)
	}
}

// IT's entry for everyone (in XDG_CONFIG_DIRS) starts this program: the switch shows on with a note
// and, saved on, leaves IT's entry to apply; off hides it for this user, and the note says so.
func TestTheSwitchBesideTheEntryForEveryone(t *testing.T) {
	xdg := loginConfig(t)
	exe, err := autostart.Executable()
	if err != nil {
		t.Fatal(err)
	}
	entry, err := autostart.DesktopEntry(exe)
	if err != nil {
		t.Fatal(err)
	}
	forAll := filepath.Join(xdg, "autostart", "org.flamenco.tray.desktop")
	if err := os.MkdirAll(filepath.Dir(forAll), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(forAll, entry, 0o644); err != nil {
		t.Fatal(err)
	}
	login, err := autostart.QueryLogin()
	if err != nil || !login.On() || startAtLoginSwitch(login) != (loginSwitch{Note: noteEveryoneYours}) {
		t.Fatalf("IT's entry: %+v, %v; switch %+v", login, err, startAtLoginSwitch(login))
	}
	if err := setStartAtLogin(true); err != nil {
		t.Fatal(err)
	}
	if login, err := autostart.QueryLogin(); err != nil || login.User.Exe != "" {
		t.Errorf("saved on with IT's entry applying: this user's entry %+v, %v; want none", login.User, err)
	}
	if err := setStartAtLogin(false); err != nil {
		t.Fatal(err)
	}
	login, err = autostart.QueryLogin()
	if err != nil || login.On() || startAtLoginSwitch(login) != (loginSwitch{Note: noteEveryoneHidden}) {
		t.Errorf("switched off: %+v, %v; switch %+v", login, err, startAtLoginSwitch(login))
	}
	if err := setStartAtLogin(true); err != nil {
		t.Fatal(err)
	}
	if login, err := autostart.QueryLogin(); err != nil || !login.User.On || !login.Starts(exe) {
		t.Errorf("switched on again: %+v, %v", login, err)
	}
}
