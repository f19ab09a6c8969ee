package cli

import (
	"fmt"
	"io"

	"github.com/flamenco-tray/flamenco-tray/internal/autostart"
)

// runAutostart turns start at login on or off for this program, or says what is set. Studio IT
// scripts use it: 0 when done, 1 with a message when not, 2 for a wrong command line.
func runAutostart(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("autostart", stderr)
	fs.Bool("debug", false, "log details (nothing to log here)")
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
	if !autostart.Supported() {
		return exitError{code: 1, message: "flamenco-tray: start at login is not available on this system"}
	}
	var status autostart.Status
	var err error
	switch action {
	case "on":
		var exe string
		if exe, err = autostart.Executable(); err != nil {
			return fmt.Errorf("cannot turn start at login on: %w", err)
		}
		if status, err = autostart.Enable(exe); err != nil {
			return fmt.Errorf("cannot turn start at login on: %w", err)
		}
	case "off":
		if status, err = autostart.Disable(); err != nil {
			return fmt.Errorf("cannot turn start at login off: %w", err)
		}
	case "status":
		if status, err = autostart.Query(); err != nil {
			return fmt.Errorf("cannot tell whether start at login is on: %w; \"flamenco-tray autostart on\" or \"off\" replaces it", err)
		}
	}
	exe, exeErr := autostart.Executable()
	fmt.Fprintln(stdout, describeAutostart(status, exe, exeErr))
	return nil
}

// describeAutostart is the one line autostart prints: "on" or "off" first, then where, and what it
// starts when that is not this program (exe, or exeErr when this program's file is unknown).
func describeAutostart(s autostart.Status, exe string, exeErr error) string {
	switch {
	case s.Exe == "":
		return "off: no " + s.Where
	case s.Disabled != "":
		return fmt.Sprintf("off: %s starts %s but is turned off (%s)", s.Where, s.Exe, s.Disabled)
	case exeErr != nil:
		return fmt.Sprintf("on: %s starts %s (this program's own file is unknown: %v)", s.Where, s.Exe, exeErr)
	case !s.Starts(exe):
		return fmt.Sprintf("on: %s starts %s, not this program (%s); \"flamenco-tray autostart on\" points it here", s.Where, s.Exe, exe)
	}
	return fmt.Sprintf("on: %s starts %s", s.Where, s.Exe)
}
