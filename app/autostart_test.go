//go:build linux

package app

import (
	"path/filepath"
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/autostart"
)

// The Settings switch puts the entry in line with itself whatever set it before: an entry for a
// moved binary is pointed here, and off removes whichever entry there is.
func TestSetStartAtLoginFollowsTheSwitch(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(t.TempDir(), "config"))
	exe, err := autostart.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := autostart.Enable("/opt/moved away/flamenco-tray"); err != nil {
		t.Fatal(err)
	}
	if on, err := startAtLoginOn(); err != nil || !on {
		t.Fatalf("an entry for another file: on=%v, %v", on, err)
	}
	if err := setStartAtLogin(true); err != nil {
		t.Fatal(err)
	}
	if status, err := autostart.Query(); err != nil || !status.On || !status.Starts(exe) {
		t.Errorf("after switching on: %+v, %v; want it to start %s", status, err, exe)
	}
	if err := setStartAtLogin(false); err != nil {
		t.Fatal(err)
	}
	if on, err := startAtLoginOn(); err != nil || on {
		t.Errorf("after switching off: on=%v, %v", on, err)
	}
}
