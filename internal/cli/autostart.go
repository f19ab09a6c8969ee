package cli

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/flamenco-tray/flamenco-tray/internal/autostart"
)

// runAutostart turns start at login on or off for this user, or says which entry applies (this
// user's or IT's for everyone). Studio IT scripts read its exit code and the line's first word.
func runAutostart(args []string, stdout, stderr io.Writer) error {
	fs, _ := newFlagSet("autostart", stderr)
	fs.Lookup("debug").Usage = "log details (nothing to log here)"
	if err := fs.Parse(args); err != nil {
		return exitError{code: 2}
	}
	if fs.NArg() != 1 {
		return usageError("autostart takes one of on, off, status")
	}
	action := fs.Arg(0)
	if action != "on" && action != "off" && action != "status" {
		return usageError(fmt.Sprintf("autostart takes one of on, off, status, not %q", action))
	}
	switch action {
	case "on":
		exe, err := autostart.Executable()
		if err == nil {
			err = autostart.Enable(exe)
		}
		if err != nil {
			return fmt.Errorf("cannot turn start at login on: %w", err)
		}
	case "off":
		if err := autostart.Disable(); err != nil {
			return fmt.Errorf("cannot turn start at login off: %w", err)
		}
	}
	login, err := autostart.QueryLogin()
	if err != nil {
		return fmt.Errorf("cannot tell whether start at login is on: %w; \"flamenco-tray autostart on\" or \"off\" replaces it", err)
	}
	exe, exeErr := autostart.Executable()
	fmt.Fprintln(stdout, describeLogin(login, exe, exeErr))
	if action == "off" && login.EveryoneApplies() {
		return errors.New("this user's own entry is off, but start at login is still on for everyone on this computer " +
			"(set by your IT); " + removeEveryoneHint(runtime.GOOS, login.Everyone.Where))
	}
	return nil
}

// describeLogin is the one line autostart prints: "on" or "off" for this user, whichever entry
// applies, then which entry and where.
func describeLogin(l autostart.Login, exe string, exeErr error) string {
	own := describeAutostart(l.User, exe, exeErr)
	e := l.Everyone
	switch {
	case l.EveryoneErr != nil:
		return fmt.Sprintf("%s; the entry for everyone on this computer cannot be read: %v", own, l.EveryoneErr)
	case e.Exe == "":
		return own
	case l.EveryoneApplies():
		line := "on for everyone (set by your IT): " + describeStarts(e, exe, exeErr)
		if l.User.On {
			return line + "; for this user too: " + strings.TrimPrefix(own, "on: ")
		}
		return line + "; for this user alone: off"
	case l.Replaced() && l.User.On:
		return fmt.Sprintf("%s; it takes the place of %s, set by your IT for everyone", own, e.Where)
	case l.Replaced():
		return fmt.Sprintf("off: %s (%s) turns off, for this user, %s, set by your IT for everyone", l.User.Where, l.User.Disabled, e.Where)
	}
	return fmt.Sprintf("%s; %s, set by your IT for everyone, is turned off (%s)", own, e.Where, e.Disabled)
}

// describeAutostart is this user's own entry: "on" or "off" first, then where, and what it starts
// when that is not this program (exe, or exeErr when this program's file is unknown).
func describeAutostart(s autostart.Status, exe string, exeErr error) string {
	switch {
	case s.Exe == "":
		return "off: no " + s.Where
	case s.Disabled != "":
		return fmt.Sprintf("off: %s starts %s but is turned off (%s)", s.Where, s.Exe, s.Disabled)
	case exeErr == nil && !s.Starts(exe):
		return "on: " + describeStarts(s, exe, exeErr) + `; "flamenco-tray autostart on" points it here`
	}
	return "on: " + describeStarts(s, exe, exeErr)
}

// describeStarts is "WHERE starts EXE", with why this program's own file is unknown.
func describeStarts(s autostart.Status, exe string, exeErr error) string {
	line := s.Where + " starts " + s.Exe
	switch {
	case exeErr != nil:
		return fmt.Sprintf("%s (this program's own file is unknown: %v)", line, exeErr)
	case !s.Starts(exe):
		return fmt.Sprintf("%s, not this program (%s)", line, exe)
	}
	return line
}

// removeEveryoneHint says how an administrator turns off the entry for everyone at where, on goos.
func removeEveryoneHint(goos, where string) string {
	if goos == "windows" {
		return `an administrator turns it off: reg delete "HKLM\Software\Microsoft\Windows\CurrentVersion\Run" /v "Flamenco Tray" /f, ` +
			"or an upgrade of the MSI with AUTOSTART=0"
	}
	return "an administrator turns it off: sudo rm " + where
}
