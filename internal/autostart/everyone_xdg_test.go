//go:build linux

package autostart

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// IT links the packaged entry into /etc/xdg/autostart: it applies to a user with no entry of their
// own, the most important folder of XDG_CONFIG_DIRS first.
func TestQueryLoginReadsTheEntryForEveryone(t *testing.T) {
	own := configHome(t)
	site, xdg := filepath.Join(t.TempDir(), "site xdg"), filepath.Join(t.TempDir(), "etc xdg")
	t.Setenv("XDG_CONFIG_DIRS", site+":relative:"+xdg)
	login, err := QueryLogin()
	if want := filepath.Join(site, "autostart", "org.flamenco.tray.desktop"); err != nil || login.On() ||
		login.Everyone != (Status{Where: want}) || login.EveryoneErr != nil || !login.UserReplaces {
		t.Fatalf("no entry anywhere: %+v, %v; want none, for everyone at %s", login, err, want)
	}

	forAll := systemEntry(t, xdg, packagedEntry)
	login, err = QueryLogin()
	if want := (Status{On: true, Where: forAll, Exe: "/usr/bin/flamenco-tray"}); err != nil ||
		login.Everyone != want || !login.EveryoneApplies() || login.User.On || login.User != (Status{Where: own}) {
		t.Fatalf("IT's entry: %+v, %v; want it to apply as %+v", login, err, want)
	}

	// The same name in a more important folder is the only one that counts: Hidden=true there
	// turns the other off.
	siteEntry := systemEntry(t, site, packagedEntry+"Hidden=true\n")
	if login, err := QueryLogin(); err != nil || login.On() || login.Everyone.Where != siteEntry || login.Everyone.Disabled != "Hidden=true" {
		t.Errorf("a Hidden=true entry in a more important folder: %+v, %v", login, err)
	}
}

// Removing the package leaves IT's link dangling, which desktops ignore.
func TestQueryLoginIgnoresADanglingLink(t *testing.T) {
	configHome(t)
	xdg := os.Getenv("XDG_CONFIG_DIRS")
	link := systemEntry(t, xdg, packagedEntry)
	target, err := os.Readlink(link)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(target); err != nil {
		t.Fatal(err)
	}
	if login, err := QueryLogin(); err != nil || login.On() || login.Everyone.Exe != "" || login.EveryoneErr != nil {
		t.Errorf("a dangling link: %+v, %v; want no entry for everyone", login, err)
	}
}

// Off for this user is off: Disable writes a Hidden=true entry of the same name, which the autostart
// spec has hide IT's; on again replaces it; with IT's entry gone, off removes the user's.
func TestDisableHidesTheEntryForEveryoneForThisUserOnly(t *testing.T) {
	own := configHome(t)
	forAll := systemEntry(t, os.Getenv("XDG_CONFIG_DIRS"), packagedEntry)
	err := Disable()
	if status, _ := read(); err != nil || status != (Status{Where: own, Exe: "/usr/bin/flamenco-tray", Disabled: "Hidden=true"}) {
		t.Fatalf("Disable(): %v, then %+v; want a Hidden=true entry", err, status)
	}
	validateDesktopEntry(t, own)
	login, err := QueryLogin()
	if err != nil || login.On() || !login.Replaced() || !login.Everyone.On {
		t.Fatalf("after off: %+v, %v; want IT's entry there, hidden for this user", login, err)
	}
	if data, err := os.ReadFile(forAll); err != nil || string(data) != packagedEntry {
		t.Errorf("IT's entry was changed: %q, %v", data, err)
	}

	if err := Enable("/opt/tray/flamenco-tray"); err != nil {
		t.Fatal(err)
	}
	if login, err := QueryLogin(); err != nil || !login.On() || !login.User.On || login.EveryoneApplies() ||
		!login.Starts("/opt/tray/flamenco-tray") || login.Starts("/usr/bin/flamenco-tray") {
		t.Errorf("after on: %+v, %v; want this user's entry in place of IT's", login, err)
	}

	if err := os.Remove(forAll); err != nil {
		t.Fatal(err)
	}
	if err := Disable(); err != nil {
		t.Fatal(err)
	}
	if status, err := read(); err != nil || status != (Status{Where: own}) {
		t.Errorf("off with no entry for everyone: %+v, %v; want the user's entry removed", status, err)
	}
}

// An entry for everyone that cannot be read is reported, not an error; off still hides it, since a
// desktop may start it all the same.
func TestAnUnreadableEntryForEveryoneIsReportedAndHidden(t *testing.T) {
	own := configHome(t)
	xdg := os.Getenv("XDG_CONFIG_DIRS")
	forAll := filepath.Join(xdg, "autostart", "org.flamenco.tray.desktop")
	// A folder where the file should be: unreadable even for root, who runs make test.
	if err := os.MkdirAll(forAll, 0o755); err != nil {
		t.Fatal(err)
	}
	login, err := QueryLogin()
	if err != nil || login.EveryoneErr == nil || !strings.Contains(login.EveryoneErr.Error(), forAll) || login.On() {
		t.Fatalf("QueryLogin() = %+v, %v; want the entry for everyone's error, naming %s", login, err, forAll)
	}
	if err := Disable(); err != nil {
		t.Fatal(err)
	}
	if status, err := read(); err != nil || status != (Status{Where: own, Exe: "flamenco-tray", Disabled: "Hidden=true"}) {
		t.Errorf("after Disable: %+v, %v; want a Hidden=true entry", status, err)
	}
}

// XDG_CONFIG_DIRS may name the user's own folder: that entry is the user's, not IT's.
func TestTheUsersOwnFolderIsNotTheOneForEveryone(t *testing.T) {
	configHome(t)
	t.Setenv("XDG_CONFIG_DIRS", os.Getenv("XDG_CONFIG_HOME"))
	if err := Enable("/usr/bin/flamenco-tray"); err != nil {
		t.Fatal(err)
	}
	if login, err := QueryLogin(); err != nil || login.Everyone.Exe != "" || login.Replaced() {
		t.Errorf("QueryLogin() = %+v, %v", login, err)
	}
}
