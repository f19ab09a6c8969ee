package autostart

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// userReplacesEveryone: launchd loads the agents of ~/Library/LaunchAgents and of
// /Library/LaunchAgents both; the one for everyone is IT's to remove.
const userReplacesEveryone = false

// everyoneLaunchAgentPath is the LaunchAgent for everyone on this Mac, which IT installs.
const everyoneLaunchAgentPath = "/Library/LaunchAgents/" + ID + ".plist"

// launchAgentPath is ~/Library/LaunchAgents/org.flamenco.tray.plist, which launchd loads at login.
func launchAgentPath() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the LaunchAgents folder: %w", err)
	}
	return filepath.Join(home, "Library", "LaunchAgents", ID+".plist"), nil
}

// install writes the LaunchAgent and clears a "disabled" override (launchctl disable, or an old
// unload -w) that would keep launchd from loading it. It does not bootstrap it now: with RunAtLoad
// that would start a second tray at once; launchd loads it at the next login.
func install(exe string) error {
	path, err := launchAgentPath()
	if err != nil {
		return err
	}
	plist, err := LaunchAgent(exe)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path, plist); err != nil {
		return err
	}
	if err := launchctl("enable", fmt.Sprintf("gui/%d/%s", os.Getuid(), ID)); err != nil {
		return fmt.Errorf("wrote %s, but %w", path, err)
	}
	return nil
}

// uninstall removes the LaunchAgent. It does not boot it out: that would stop a tray that launchd
// started at this login; launchd forgets the job at logout.
func uninstall() error {
	path, err := launchAgentPath()
	if err != nil {
		return err
	}
	return removeFile(path)
}

func read() (Status, error) {
	path, err := launchAgentPath()
	if err != nil {
		return Status{}, err
	}
	return readEntryFile(path, launchAgentProgram)
}

// readEveryone reads the LaunchAgent for everyone. A "launchctl disable" of the label for this user
// is not read (it would take launchctl print-disabled): only its Disabled key.
func readEveryone() (Status, error) {
	return readEntryFile(everyoneLaunchAgentPath, launchAgentProgram)
}

func launchctl(args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "launchctl", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("launchctl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
