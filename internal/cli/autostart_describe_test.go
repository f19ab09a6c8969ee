package cli

import (
	"errors"
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/autostart"
)

func TestDescribeAutostart(t *testing.T) {
	t.Parallel()
	const where = "/home/ana/.config/autostart/org.flamenco.tray.desktop"
	const exe = "/opt/flamenco-tray/flamenco-tray"
	tests := []struct {
		name   string
		status autostart.Status
		exeErr error
		want   string
	}{
		{"off", autostart.Status{Where: where}, nil, "off: no " + where},
		{"on", autostart.Status{On: true, Where: where, Exe: exe}, nil, "on: " + where + " starts " + exe},
		{"another file", autostart.Status{On: true, Where: where, Exe: "/old/flamenco-tray"}, nil,
			"on: " + where + " starts /old/flamenco-tray, not this program (" + exe + `); "flamenco-tray autostart on" points it here`},
		{"turned off", autostart.Status{Where: where, Exe: exe, Disabled: "Hidden=true"}, nil,
			"off: " + where + " starts " + exe + " but is turned off (Hidden=true)"},
		{"own file unknown", autostart.Status{On: true, Where: where, Exe: exe}, errors.New("gone"),
			"on: " + where + " starts " + exe + " (this program's own file is unknown: gone)"},
	}
	for _, tt := range tests {
		exeArg := exe
		if tt.exeErr != nil {
			exeArg = ""
		}
		if got := describeAutostart(tt.status, exeArg, tt.exeErr); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
		// With no entry for everyone, the line is the user's entry alone, as before IT could set one.
		login := autostart.Login{User: tt.status, Everyone: autostart.Status{Where: "/etc/xdg/autostart/org.flamenco.tray.desktop"}}
		if got := describeLogin(login, exeArg, tt.exeErr); got != tt.want {
			t.Errorf("%s, no entry for everyone:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestDescribeLoginOnWindowsSaysWhichRunValueApplies(t *testing.T) {
	t.Parallel()
	const (
		hklm      = `HKEY_LOCAL_MACHINE\Software\Microsoft\Windows\CurrentVersion\Run value "Flamenco Tray"`
		hkcu      = `HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Run value "Flamenco Tray"`
		installed = `C:\Program Files\Flamenco Tray\flamenco-tray.exe`
		own       = `C:\Users\Zoë\AppData\Local\Programs\Flamenco Tray\flamenco-tray.exe`
	)
	forAll := autostart.Status{On: true, Where: hklm, Exe: installed}
	tests := []struct {
		name  string
		login autostart.Login
		exe   string
		want  string
	}{
		{"for everyone only", autostart.Login{User: autostart.Status{Where: hkcu}, Everyone: forAll}, installed,
			"on for everyone (set by your IT): " + hklm + " starts " + installed + "; for this user alone: off"},
		{"both", autostart.Login{User: autostart.Status{On: true, Where: hkcu, Exe: own}, Everyone: forAll}, own,
			"on for everyone (set by your IT): " + hklm + " starts " + installed + ", not this program (" + own + "); for this user too: " +
				hkcu + " starts " + own},
		{"own turned off in Task Manager", autostart.Login{User: autostart.Status{Where: hkcu, Exe: own, Disabled: "turned off in Task Manager's Startup tab"},
			Everyone: forAll}, installed,
			"on for everyone (set by your IT): " + hklm + " starts " + installed + "; for this user alone: off"},
		{"for everyone turned off in Task Manager", autostart.Login{User: autostart.Status{Where: hkcu},
			Everyone: autostart.Status{Where: hklm, Exe: installed, Disabled: "turned off in Task Manager's Startup tab"}}, installed,
			"off: no " + hkcu + "; " + hklm + ", set by your IT for everyone, is turned off (turned off in Task Manager's Startup tab)"},
		{"for everyone unreadable", autostart.Login{User: autostart.Status{On: true, Where: hkcu, Exe: own},
			Everyone: autostart.Status{Where: hklm}, EveryoneErr: errors.New(`open HKEY_LOCAL_MACHINE\…: Access is denied.`)}, own,
			"on: " + hkcu + " starts " + own + `; the entry for everyone on this computer cannot be read: open HKEY_LOCAL_MACHINE\…: Access is denied.`},
	}
	for _, tt := range tests {
		if got := describeLogin(tt.login, tt.exe, nil); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestDescribeLoginOnXDGSaysWhenTheUsersEntryTakesThePlaceOfITs(t *testing.T) {
	t.Parallel()
	const (
		system = "/etc/xdg/autostart/org.flamenco.tray.desktop"
		user   = "/home/ana/.config/autostart/org.flamenco.tray.desktop"
		tray   = "/usr/bin/flamenco-tray"
	)
	forAll := autostart.Status{On: true, Where: system, Exe: tray}
	tests := []struct {
		name  string
		login autostart.Login
		want  string
	}{
		{"IT's applies", autostart.Login{User: autostart.Status{Where: user}, Everyone: forAll, UserReplaces: true},
			"on for everyone (set by your IT): " + system + " starts " + tray + "; for this user alone: off"},
		{"the user's takes its place", autostart.Login{User: autostart.Status{On: true, Where: user, Exe: tray}, Everyone: forAll, UserReplaces: true},
			"on: " + user + " starts " + tray + "; it takes the place of " + system + ", set by your IT for everyone"},
		{"the user's hides it", autostart.Login{User: autostart.Status{Where: user, Exe: tray, Disabled: "Hidden=true"}, Everyone: forAll, UserReplaces: true},
			"off: " + user + " (Hidden=true) turns off, for this user, " + system + ", set by your IT for everyone"},
	}
	for _, tt := range tests {
		if got := describeLogin(tt.login, tray, nil); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestRemoveEveryoneHintSaysWhatAnAdministratorRuns(t *testing.T) {
	t.Parallel()
	tests := []struct{ goos, where, want string }{
		{"windows", `HKEY_LOCAL_MACHINE\Software\Microsoft\Windows\CurrentVersion\Run value "Flamenco Tray"`,
			`an administrator turns it off: reg delete "HKLM\Software\Microsoft\Windows\CurrentVersion\Run" /v "Flamenco Tray" /f, ` +
				"or an upgrade of the MSI with AUTOSTART=0"},
		{"darwin", "/Library/LaunchAgents/org.flamenco.tray.plist",
			"an administrator turns it off: sudo rm /Library/LaunchAgents/org.flamenco.tray.plist"},
		{"linux", "/etc/xdg/autostart/org.flamenco.tray.desktop",
			"an administrator turns it off: sudo rm /etc/xdg/autostart/org.flamenco.tray.desktop"},
	}
	for _, tt := range tests {
		if got := removeEveryoneHint(tt.goos, tt.where); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.goos, got, tt.want)
		}
	}
}
