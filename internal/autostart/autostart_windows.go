package autostart

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"
)

// userReplacesEveryone: Windows starts the per-user and the machine-wide Run values both, and only
// an administrator can change the machine-wide one.
const userReplacesEveryone = false

// where names the per-user Run key and its value.
const where = `HKEY_CURRENT_USER\` + runKeyPath + ` value "` + RunValueName + `"`

// install sets the per-user Run value, and removes Task Manager's "disabled" mark for it: turning
// start at login on here is the user's latest word.
func install(exe string) error {
	command, err := runCommand(exe)
	if err != nil {
		return err
	}
	key, _, err := registry.CreateKey(registry.CURRENT_USER, runKeyPath, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("open HKEY_CURRENT_USER\\%s: %w", runKeyPath, err)
	}
	defer key.Close()
	if err := key.SetStringValue(RunValueName, command); err != nil {
		return fmt.Errorf("set %s: %w", where, err)
	}
	return deleteValue(startupApprovedPath, RunValueName)
}

// uninstall removes the per-user Run value only: the machine-wide one needs an administrator.
func uninstall() error {
	if err := deleteValue(runKeyPath, RunValueName); err != nil {
		return err
	}
	return deleteValue(startupApprovedPath, RunValueName)
}

// deleteValue deletes a value under HKEY_CURRENT_USER; a key or value that is not there is not an
// error.
func deleteValue(path, name string) error {
	key, err := registry.OpenKey(registry.CURRENT_USER, path, registry.SET_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open HKEY_CURRENT_USER\\%s: %w", path, err)
	}
	defer key.Close()
	if err := key.DeleteValue(name); err != nil && !errors.Is(err, registry.ErrNotExist) {
		return fmt.Errorf("delete HKEY_CURRENT_USER\\%s\\%s: %w", path, name, err)
	}
	return nil
}

func read() (Status, error) {
	return readRun(registry.CURRENT_USER, "HKEY_CURRENT_USER")
}

// readEveryone reads the machine-wide Run value the MSI writes with AUTOSTART=1, in the registry
// view of this 64-bit program, which is where a 64-bit MSI writes it.
func readEveryone() (Status, error) {
	return readRun(registry.LOCAL_MACHINE, "HKEY_LOCAL_MACHINE")
}

// readRun reads the Run value under root (named rootName), and whether Task Manager turned it off:
// its StartupApproved mark is under the same root.
func readRun(root registry.Key, rootName string) (Status, error) {
	status := Status{Where: rootName + `\` + runKeyPath + ` value "` + RunValueName + `"`}
	key, err := registry.OpenKey(root, runKeyPath, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return status, nil
	}
	if err != nil {
		return status, fmt.Errorf("open %s\\%s: %w", rootName, runKeyPath, err)
	}
	defer key.Close()
	command, _, err := key.GetStringValue(RunValueName)
	if errors.Is(err, registry.ErrNotExist) {
		return status, nil
	}
	if err != nil {
		return status, fmt.Errorf("read %s: %w", status.Where, err)
	}
	if status.Exe, err = runCommandProgram(command); err != nil {
		return status, fmt.Errorf("read %s: %w", status.Where, err)
	}
	if approved, err := registry.OpenKey(root, startupApprovedPath, registry.QUERY_VALUE); err == nil {
		data, _, err := approved.GetBinaryValue(RunValueName)
		approved.Close()
		if err == nil && startupApprovedDisabled(data) {
			status.Disabled = "turned off in Task Manager's Startup tab"
		}
	}
	status.On = status.Disabled == ""
	return status, nil
}
