package autostart

import (
	"errors"
	"testing"
)

func TestLoginSaysWhichEntryApplies(t *testing.T) {
	t.Parallel()
	const tray = "/usr/bin/flamenco-tray"
	none := Status{Where: "/home/ana/.config/autostart/org.flamenco.tray.desktop"}
	own := Status{On: true, Where: none.Where, Exe: tray}
	hidden := Status{Where: none.Where, Exe: tray, Disabled: "Hidden=true"}
	noneForAll := Status{Where: "/etc/xdg/autostart/org.flamenco.tray.desktop"}
	forAll := Status{On: true, Where: noneForAll.Where, Exe: tray}
	forAllOff := Status{Where: noneForAll.Where, Exe: tray, Disabled: "turned off in Task Manager's Startup tab"}
	unreadable := errors.New("permission denied")
	tests := []struct {
		name                  string
		login                 Login
		user, everyone, on, r bool
	}{
		{"nothing", Login{User: none, Everyone: noneForAll}, false, false, false, false},
		{"own only", Login{User: own, Everyone: noneForAll}, true, false, true, false},
		{"for everyone only", Login{User: none, Everyone: forAll}, false, true, true, false},
		{"for everyone only (XDG)", Login{User: none, Everyone: forAll, UserReplaces: true}, false, true, true, false},
		{"both start (Windows)", Login{User: own, Everyone: forAll}, true, true, true, false},
		{"own replaces it (XDG)", Login{User: own, Everyone: forAll, UserReplaces: true}, true, false, true, true},
		{"own Hidden=true hides it (XDG)", Login{User: hidden, Everyone: forAll, UserReplaces: true}, false, false, false, true},
		{"own turned off does not hide it (Windows)", Login{User: hidden, Everyone: forAll}, false, true, true, false},
		{"for everyone turned off", Login{User: none, Everyone: forAllOff}, false, false, false, false},
		{"for everyone unreadable", Login{User: none, Everyone: forAll, EveryoneErr: unreadable}, false, false, false, false},
		{"own with for everyone unreadable (XDG)", Login{User: own, Everyone: noneForAll, EveryoneErr: unreadable, UserReplaces: true},
			true, false, true, false},
	}
	for _, tt := range tests {
		l := tt.login
		if l.User.On != tt.user || l.EveryoneApplies() != tt.everyone || l.On() != tt.on || l.Replaced() != tt.r {
			t.Errorf("%s: user %v, everyone %v, on %v, replaced %v; want %v %v %v %v", tt.name,
				l.User.On, l.EveryoneApplies(), l.On(), l.Replaced(), tt.user, tt.everyone, tt.on, tt.r)
		}
	}
}

func TestLoginStartsAsksOnlyTheEntriesThatApply(t *testing.T) {
	t.Parallel()
	const this, other = "/opt/tray/flamenco-tray", "/usr/bin/flamenco-tray"
	forAll := Status{On: true, Where: "/etc/xdg/autostart/org.flamenco.tray.desktop", Exe: other}
	own := Status{On: true, Where: "/home/ana/.config/autostart/org.flamenco.tray.desktop", Exe: this}
	hidden := Status{Where: own.Where, Exe: this, Disabled: "Hidden=true"}
	tests := []struct {
		login       Login
		this, other bool
	}{
		{Login{Everyone: forAll}, false, true},
		{Login{User: own, Everyone: forAll}, true, true},
		{Login{User: own, Everyone: forAll, UserReplaces: true}, true, false},
		{Login{User: hidden, Everyone: forAll, UserReplaces: true}, false, false},
	}
	for i, tt := range tests {
		if got, got2 := tt.login.Starts(this), tt.login.Starts(other); got != tt.this || got2 != tt.other {
			t.Errorf("%d: starts this %v, the other %v; want %v %v", i, got, got2, tt.this, tt.other)
		}
	}
}
