package autostart

import (
	"errors"
	"fmt"
	"strings"
)

// The Windows Run key's value is a command line; Task Manager's Startup tab keeps whether the user
// turned it off in a value of the same name under StartupApproved\Run.

// runKeyPath and startupApprovedPath are under HKEY_CURRENT_USER for this user, and under
// HKEY_LOCAL_MACHINE for everyone.
const (
	runKeyPath          = `Software\Microsoft\Windows\CurrentVersion\Run`
	startupApprovedPath = `Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run`
)

// runCommand is the Run key's data that starts exe: the path in quotes, so that Windows does not
// try "C:\Program" for "C:\Program Files\…".
func runCommand(exe string) (string, error) {
	if exe == "" {
		return "", errors.New("no program to start")
	}
	if strings.ContainsAny(exe, "\"\x00") {
		return "", fmt.Errorf("the program's path %q cannot be a Windows command", exe)
	}
	return `"` + exe + `"`, nil
}

// runCommandProgram is the program a Run key's command line starts: the quoted first part, or,
// unquoted, everything up to the first ".exe" that ends a word (the whole line without one).
func runCommandProgram(command string) (string, error) {
	command = strings.TrimSpace(command)
	if rest, ok := strings.CutPrefix(command, `"`); ok {
		exe, _, ok := strings.Cut(rest, `"`)
		if !ok || exe == "" {
			return "", fmt.Errorf("unterminated quote in %q", command)
		}
		return exe, nil
	}
	if command == "" {
		return "", errors.New("an empty command")
	}
	lower := strings.ToLower(command)
	for i := 0; ; {
		j := strings.Index(lower[i:], ".exe")
		if j < 0 {
			return command, nil
		}
		end := i + j + len(".exe")
		if end == len(command) || command[end] == ' ' {
			return command[:end], nil
		}
		i = end
	}
}

// startupApprovedDisabled reports whether a StartupApproved\Run value says the user turned the
// entry off in Task Manager: its first byte is odd (2 on, 3 off) and the rest is when.
func startupApprovedDisabled(data []byte) bool {
	return len(data) > 0 && data[0]&1 == 1
}
