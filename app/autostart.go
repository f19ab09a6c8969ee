package app

import (
	"fmt"

	"github.com/flamenco-tray/flamenco-tray/internal/autostart"
)

// setStartAtLogin makes start at login match on: on writes this user's entry unless one that
// applies (IT's too) starts this program already; off removes it, or hides IT's for this user.
func setStartAtLogin(on bool) error {
	if !on {
		if err := autostart.Disable(); err != nil {
			return fmt.Errorf("turn start at login off: %w", err)
		}
		return nil
	}
	exe, err := autostart.Executable()
	if err != nil {
		return fmt.Errorf("turn start at login on: %w", err)
	}
	if login, err := autostart.QueryLogin(); err == nil && login.Starts(exe) {
		return nil
	}
	if err := autostart.Enable(exe); err != nil {
		return fmt.Errorf("turn start at login on: %w", err)
	}
	return nil
}

// loginSwitch is what the Settings window shows beside the "Start at login" switch, which itself
// shows whether the tray starts at login for this user.
type loginSwitch struct {
	Note   string // a line under the switch; empty for none
	Locked bool   // IT's entry for everyone starts the tray, and only an administrator can turn it off
}

// The Settings window's words for IT's entry for everyone.
const (
	noteEveryoneLocked  = "Started at login for everyone on this computer (set by your IT). Only an administrator can turn it off."
	noteEveryoneYours   = "Started at login for everyone on this computer (set by your IT). Turning it off here turns it off for you only."
	noteEveryoneHidden  = "Started at login for everyone on this computer (set by your IT), but turned off for you."
	noteEveryoneUnknown = "Whether your IT starts it at login for everyone on this computer cannot be read; the log says why."
)

// startAtLoginSwitch is the note and lock of the switch for what applies.
func startAtLoginSwitch(l autostart.Login) loginSwitch {
	switch {
	case l.EveryoneErr != nil:
		return loginSwitch{Note: noteEveryoneUnknown}
	case !l.Everyone.On:
		return loginSwitch{} // none for everyone, or IT turned it off itself
	case !l.UserReplaces:
		return loginSwitch{Note: noteEveryoneLocked, Locked: true}
	case l.User.Exe != "" && !l.User.On:
		return loginSwitch{Note: noteEveryoneHidden}
	}
	return loginSwitch{Note: noteEveryoneYours}
}
