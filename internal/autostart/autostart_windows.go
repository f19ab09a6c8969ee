package autostart

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"
)

const supported = true

// where names the Run key and its value.
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
	status := Status{Where: where}
	key, err := registry.OpenKey(registry.CURRENT_USER, runKeyPath, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return status, nil
	}
	if err != nil {
		return status, fmt.Errorf("open HKEY_CURRENT_USER\\%s: %w", runKeyPath, err)
	}
	defer key.Close()
	command, _, err := key.GetStringValue(RunValueName)
	if errors.Is(err, registry.ErrNotExist) {
		return status, nil
	}
	if err != nil {
		return status, fmt.Errorf("read %s: %w", where, err)
	}
	if status.Exe, err = runCommandProgram(command); err != nil {
		return status, fmt.Errorf("read %s: %w", where, err)
	}
	if approved, err := registry.OpenKey(registry.CURRENT_USER, startupApprovedPath, registry.QUERY_VALUE); err == nil {
		data, _, err := approved.GetBinaryValue(RunValueName)
		approved.Close()
		if err == nil && startupApprovedDisabled(data) {
			status.Disabled = "turned off in Task Manager's Startup tab"
		}
	}
	status.On = status.Disabled == ""
	return status, nil
}
