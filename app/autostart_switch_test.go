package app

import (
	"errors"
	"testing"

	"fyne.io/fyne/v2/widget"

	"github.com/flamenco-tray/flamenco-tray/internal/autostart"
)

func TestStartAtLoginSwitchSaysWhenITStartsItForEveryone(t *testing.T) {
	t.Parallel()
	own := autostart.Status{On: true, Where: "own", Exe: "/usr/bin/flamenco-tray"}
	hidden := autostart.Status{Where: "own", Exe: "/usr/bin/flamenco-tray", Disabled: "Hidden=true"}
	forAll := autostart.Status{On: true, Where: "everyone", Exe: "/usr/bin/flamenco-tray"}
	forAllOff := autostart.Status{Where: "everyone", Exe: "/usr/bin/flamenco-tray", Disabled: "turned off in Task Manager's Startup tab"}
	tests := []struct {
		name  string
		login autostart.Login
		want  loginSwitch
	}{
		{"none for everyone", autostart.Login{User: own, Everyone: autostart.Status{Where: "everyone"}}, loginSwitch{}},
		{"for everyone, turned off itself", autostart.Login{Everyone: forAllOff}, loginSwitch{}},
		{"for everyone (Windows, macOS)", autostart.Login{Everyone: forAll}, loginSwitch{Note: noteEveryoneLocked, Locked: true}},
		{"for everyone and own (Windows, macOS)", autostart.Login{User: own, Everyone: forAll}, loginSwitch{Note: noteEveryoneLocked, Locked: true}},
		{"for everyone (XDG)", autostart.Login{Everyone: forAll, UserReplaces: true}, loginSwitch{Note: noteEveryoneYours}},
		{"own in its place (XDG)", autostart.Login{User: own, Everyone: forAll, UserReplaces: true}, loginSwitch{Note: noteEveryoneYours}},
		{"hidden for this user (XDG)", autostart.Login{User: hidden, Everyone: forAll, UserReplaces: true}, loginSwitch{Note: noteEveryoneHidden}},
		{"unreadable", autostart.Login{User: own, EveryoneErr: errors.New("permission denied")}, loginSwitch{Note: noteEveryoneUnknown}},
	}
	for _, tt := range tests {
		if got := startAtLoginSwitch(tt.login); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// The note is the line under the switch; a locked switch shows what applies and cannot be changed,
// and saving keeps it as shown.
func TestSettingsWindowShowsTheEntryForEveryoneUnderTheSwitch(t *testing.T) {
	current := Settings{LocalManagerURL: "http://localhost:8080/", StartAtLogin: true, Lending: defaultLending}
	for _, login := range []loginSwitch{{Note: noteEveryoneLocked, Locked: true}, {Note: noteEveryoneYours}} {
		var saved []Settings
		_, form, _, save := settingsFormWith(t, current, login, func(s Settings) { saved = append(saved, s) })
		var item *widget.FormItem
		for _, it := range form.Items {
			if check, ok := it.Widget.(*widget.Check); ok && check.Text == "Start at login" {
				item = it
			}
		}
		if item == nil {
			t.Fatal("no Start at login switch")
		}
		check := item.Widget.(*widget.Check)
		if item.HintText != login.Note || !check.Checked || check.Disabled() != login.Locked {
			t.Errorf("%+v: hint %q, checked %v, disabled %v", login, item.HintText, check.Checked, check.Disabled())
		}
		save.OnTapped()
		if len(saved) != 1 || !saved[0].StartAtLogin {
			t.Errorf("%+v: saved %+v", login, saved)
		}
	}
}
