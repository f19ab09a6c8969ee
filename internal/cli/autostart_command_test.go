//go:build linux

package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/autostart"
)

// autostartHome points XDG_CONFIG_HOME at a fresh folder, and XDG_CONFIG_DIRS at an empty one (this
// machine's /etc/xdg plays no part), and returns where the entry goes.
func autostartHome(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "Config ñ")
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("XDG_CONFIG_DIRS", filepath.Join(t.TempDir(), "etc xdg"))
	return filepath.Join(dir, "autostart", "org.flamenco.tray.desktop")
}

func TestAutostartOnStatusOff(t *testing.T) {
	entry := autostartHome(t)
	exe, err := autostart.Executable()
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"autostart", "status"}, "off: no " + entry + "\n"},
		{[]string{"autostart", "on"}, "on: " + entry + " starts " + exe + "\n"},
		{[]string{"autostart", "on"}, "on: " + entry + " starts " + exe + "\n"},
		{[]string{"autostart", "status"}, "on: " + entry + " starts " + exe + "\n"},
		{[]string{"autostart", "off"}, "off: no " + entry + "\n"},
		{[]string{"autostart", "off"}, "off: no " + entry + "\n"},
	}
	for _, step := range steps {
		code, out, errOut := runCommand(context.Background(), step.args...)
		if code != 0 || out != step.want || errOut != "" {
			t.Fatalf("%q: exit %d, stdout %q, stderr %q; want 0, %q", step.args, code, out, errOut, step.want)
		}
		if step.args[1] == "on" {
			if login, err := autostart.QueryLogin(); err != nil || !login.User.On || login.User.Exe != exe {
				t.Fatalf("after on: %+v, %v", login.User, err)
			}
		}
	}
	if _, err := os.Stat(entry); !os.IsNotExist(err) {
		t.Errorf("after off the entry is still there: %v", err)
	}
}

// IT links the packaged entry into the autostart folder for everyone: status says it applies; off
// hides it for this user (exit 0: it is off), on takes its place, and off again hides it again.
func TestAutostartBesideTheEntryForEveryone(t *testing.T) {
	entry := autostartHome(t)
	exe, err := autostart.Executable()
	if err != nil {
		t.Fatal(err)
	}
	shipped := filepath.Join(t.TempDir(), "org.flamenco.tray.desktop")
	packaged := "[Desktop Entry]\nType=Application\nName=Flamenco Tray\nExec=/usr/bin/flamenco-tray\nX-GNOME-Autostart-enabled=true\n"
	if err := os.WriteFile(shipped, []byte(packaged), 0o644); err != nil {
		t.Fatal(err)
	}
	forAll := filepath.Join(os.Getenv("XDG_CONFIG_DIRS"), "autostart", "org.flamenco.tray.desktop")
	if err := os.MkdirAll(filepath.Dir(forAll), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(shipped, forAll); err != nil {
		t.Fatal(err)
	}
	hidden := "off: " + entry + " (Hidden=true) turns off, for this user, " + forAll + ", set by your IT for everyone\n"
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"autostart", "status"}, "on for everyone (set by your IT): " + forAll + " starts /usr/bin/flamenco-tray, not this program (" +
			exe + "); for this user alone: off\n"},
		{[]string{"autostart", "off"}, hidden},
		{[]string{"autostart", "status"}, hidden},
		{[]string{"autostart", "on"}, "on: " + entry + " starts " + exe + "; it takes the place of " + forAll + ", set by your IT for everyone\n"},
		{[]string{"autostart", "off"}, hidden},
	}
	for _, step := range steps {
		code, out, errOut := runCommand(context.Background(), step.args...)
		if code != 0 || out != step.want || errOut != "" {
			t.Fatalf("%q: exit %d, stdout %q, stderr %q; want 0, %q", step.args, code, out, errOut, step.want)
		}
	}
	if data, err := os.ReadFile(shipped); err != nil || string(data) != packaged {
		t.Errorf("IT's entry was changed: %q, %v", data, err)
	}
}

// A binary that moved leaves an entry that starts the old file: status says so, on points it here.
func TestAutostartStatusSaysWhenTheEntryStartsAnotherFile(t *testing.T) {
	entry := autostartHome(t)
	if err := autostart.Enable("/opt/old place/flamenco-tray"); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCommand(context.Background(), "autostart", "status")
	if code != 0 || !strings.HasPrefix(out, "on: "+entry+" starts /opt/old place/flamenco-tray, not this program (") {
		t.Errorf("exit %d, %q", code, out)
	}
	if code, out, _ := runCommand(context.Background(), "autostart", "on"); code != 0 || strings.Contains(out, "not this program") {
		t.Errorf("on: exit %d, %q", code, out)
	}
}

func TestAutostartFailuresExit1WithTheReason(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "a file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CONFIG_HOME", blocker)
	code, out, errOut := runCommand(context.Background(), "autostart", "on")
	if code != 1 || out != "" || !strings.Contains(errOut, "cannot turn start at login on") || !strings.Contains(errOut, blocker) {
		t.Errorf("on under a file: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	entry := autostartHome(t)
	if err := os.MkdirAll(filepath.Dir(entry), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(entry, []byte("[Desktop Entry]\nExec=\"/unterminated\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCommand(context.Background(), "autostart", "status")
	if code != 1 || out != "" || !strings.Contains(errOut, entry) || !strings.Contains(errOut, "autostart on") {
		t.Errorf("status of an unreadable entry: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestAutostartUsageErrorsExit2(t *testing.T) {
	autostartHome(t)
	for _, args := range [][]string{
		{"autostart"},
		{"autostart", "maybe"},
		{"autostart", "on", "off"},
		{"autostart", "--nope", "on"},
	} {
		code, out, errOut := runCommand(context.Background(), args...)
		if code != 2 || out != "" || errOut == "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}
