//go:build linux

package autostart

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// configHome points XDG_CONFIG_HOME at a fresh folder, and XDG_CONFIG_DIRS at an empty one (so that
// this machine's /etc/xdg plays no part), and returns where the entry goes.
func configHome(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "config dir ü")
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("XDG_CONFIG_DIRS", filepath.Join(t.TempDir(), "xdg"))
	return filepath.Join(dir, "autostart", "org.flamenco.tray.desktop")
}

// systemEntry links entry (as the package installs it) into the autostart folder of configDir, as
// IT does for everyone, and returns the link.
func systemEntry(t *testing.T, configDir, entry string) string {
	t.Helper()
	shipped := filepath.Join(t.TempDir(), "usr share", "org.flamenco.tray.desktop")
	if err := os.MkdirAll(filepath.Dir(shipped), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(shipped, []byte(entry), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(configDir, "autostart", "org.flamenco.tray.desktop")
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(shipped, link); err != nil {
		t.Fatal(err)
	}
	return link
}

// packagedEntry is the entry the .deb and .rpm ship (build/linux/org.flamenco.tray-autostart.desktop).
const packagedEntry = "[Desktop Entry]\nType=Application\nName=Flamenco Tray\nComment=Lists the Flamenco Managers on the network\n" +
	"Exec=/usr/bin/flamenco-tray\nIcon=org.flamenco.tray\nX-GNOME-Autostart-enabled=true\nNoDisplay=true\n"

// validateDesktopEntry runs desktop-file-validate on path: skipped without it, but a failure in CI,
// where the Makefile installs it (Debian package desktop-file-utils).
func validateDesktopEntry(t *testing.T, path string) {
	t.Helper()
	validate, err := exec.LookPath("desktop-file-validate")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("desktop-file-validate is missing (Debian package desktop-file-utils); CI must have it")
		}
		t.Log("desktop-file-validate not installed (desktop-file-utils): entry not validated")
		return
	}
	out, err := exec.Command(validate, path).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "" {
		data, _ := os.ReadFile(path)
		t.Errorf("desktop-file-validate %s: %v\n%s\nthe entry:\n%s", path, err, out, data)
	}
}

func TestEnableWritesAValidDesktopEntryInXDGConfigHome(t *testing.T) {
	for _, exe := range []string{
		"/usr/bin/flamenco-tray",
		"/home/ana/My Apps/flamenco-tray",
		"/home/jürgen/Программы (2)/flamenco tray",
		`/opt/"q" $d ` + "`t`" + ` \b 100% it's; a|b&c <x> ~#*?/tray`,
		"/opt/new\nline\tand tab/tray",
	} {
		path := configHome(t)
		if err := Enable(exe); err != nil {
			t.Fatalf("Enable(%q): %v", exe, err)
		}
		status, err := read()
		if want := (Status{On: true, Where: path, Exe: exe}); err != nil || status != want {
			t.Errorf("after Enable(%q): %+v, %v; want %+v", exe, status, err, want)
		}
		if !status.Starts(exe) || status.Starts("/elsewhere/flamenco-tray") {
			t.Errorf("Starts is wrong for %+v", status)
		}
		info, err := os.Stat(path)
		if err != nil || info.Mode().Perm() != 0o644 {
			t.Fatalf("the entry: %v, %v", info, err)
		}
		validateDesktopEntry(t, path)
		if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*")); len(leftovers) > 0 {
			t.Errorf("temporary files left: %q", leftovers)
		}
	}
}

func TestDisableRemovesTheEntryAndToleratesNone(t *testing.T) {
	path := configHome(t)
	if err := Enable("/usr/bin/flamenco-tray"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := Disable(); err != nil {
			t.Fatal(err)
		}
		if status, err := read(); err != nil || status != (Status{Where: path}) {
			t.Fatalf("after Disable: %+v, %v", status, err)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the entry is still there: %v", err)
	}
}

func TestRelativeXDGConfigHomeIsIgnored(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "relative/config")
	status, err := read()
	if want := filepath.Join(home, ".config", "autostart", "org.flamenco.tray.desktop"); err != nil || status.Where != want {
		t.Errorf("read() = %+v, %v; want the entry at %s", status, err, want)
	}
}

func TestQueryReportsAnEntryTurnedOffOrUnreadable(t *testing.T) {
	path := configHome(t)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("[Desktop Entry]\nType=Application\nName=x\nExec=/opt/tray\nHidden=true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	status, err := read()
	if want := (Status{Where: path, Exe: "/opt/tray", Disabled: "Hidden=true"}); err != nil || status != want {
		t.Errorf("read() = %+v, %v; want %+v", status, err, want)
	}
	if err := os.WriteFile(path, []byte("[Desktop Entry]\nExec=\"/unterminated\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := read(); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("an unreadable entry: %v", err)
	}
	// on replaces it.
	if err := Enable("/opt/tray"); err != nil {
		t.Fatal(err)
	}
	if status, err := read(); err != nil || !status.On {
		t.Errorf("Enable over an unreadable entry: %+v, %v", status, err)
	}
}

func TestEnableFailsClearly(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "not a folder")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CONFIG_HOME", blocker)
	if err := Enable("/usr/bin/flamenco-tray"); err == nil || !strings.Contains(err.Error(), blocker) {
		t.Errorf("Enable under a file: %v", err)
	}
	configHome(t)
	if err := Enable("relative/flamenco-tray"); err == nil {
		t.Error("Enable took a relative path")
	}
	if err := Enable("/opt/a=b/flamenco-tray"); err == nil || !strings.Contains(err.Error(), `"="`) {
		t.Errorf("Enable with = in the path: %v", err)
	}
}
