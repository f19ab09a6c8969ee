package autostart

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The XDG autostart entry, a Desktop Entry file:
// https://specifications.freedesktop.org/desktop-entry-spec/latest/ (the "Exec key" and "Possible
// value types" sections) and https://specifications.freedesktop.org/autostart-spec/latest/.

// DesktopEntry is the autostart .desktop file that starts exe.
func DesktopEntry(exe string) ([]byte, error) {
	arg, err := execArg(exe)
	if err != nil {
		return nil, err
	}
	// TryExec: a desktop skips the entry, rather than failing at each login, once exe is gone.
	return []byte("[Desktop Entry]\n" +
		"Type=Application\n" +
		"Name=Flamenco Tray\n" +
		"Comment=Lists the Flamenco Managers on the network\n" +
		"TryExec=" + escapeString(exe) + "\n" +
		"Exec=" + arg + "\n" +
		"Icon=" + ID + "\n" +
		"Terminal=false\n" +
		"X-GNOME-Autostart-enabled=true\n"), nil
}

// hiddenDesktopEntry is this user's autostart entry that turns off, for this user only, the entry of
// the same name for everyone (in /etc/xdg/autostart): the autostart spec has the Hidden key of the
// most important file hide every file of its name. Its Exec names what it hides, exe (or
// flamenco-tray, found on PATH, when exe cannot be an Exec), so that it stays a valid entry; it has
// no TryExec, which could make a desktop skip it and start the other.
func hiddenDesktopEntry(exe string) []byte {
	arg, err := execArg(exe)
	if err != nil {
		arg = "flamenco-tray"
	}
	return []byte("[Desktop Entry]\n" +
		"Type=Application\n" +
		"Name=Flamenco Tray\n" +
		"Comment=Turns off, for this user, start at login set for everyone on this computer\n" +
		"Exec=" + arg + "\n" +
		"Hidden=true\n")
}

// execReserved are the characters that make the Desktop Entry spec quote an Exec argument.
const execReserved = " \t\n\"'\\><~|&;$*?#()`"

// execArg is exe as the program of an Exec value: quoted when it holds a reserved character
// (inside quotes ", `, $ and \ take a backslash), % doubled (a lone % starts a field code), then
// escaped as a string value (so a backslash inside quotes ends up as four).
func execArg(exe string) (string, error) {
	if err := checkExecPath(exe); err != nil {
		return "", err
	}
	var b strings.Builder
	quote := strings.ContainsAny(exe, execReserved)
	if quote {
		b.WriteByte('"')
	}
	for _, r := range exe {
		switch {
		case quote && strings.ContainsRune("\"`$\\", r):
			b.WriteByte('\\')
		case r == '%':
			b.WriteByte('%')
		}
		b.WriteRune(r)
	}
	if quote {
		b.WriteByte('"')
	}
	return escapeString(b.String()), nil
}

// checkExecPath refuses what an Exec key cannot hold: the spec forbids "=" in the program's path,
// the file is UTF-8, and other control characters have no escape.
func checkExecPath(exe string) error {
	switch {
	case exe == "":
		return errors.New("no program to start")
	case !utf8.ValidString(exe):
		return fmt.Errorf("the program's path %q is not valid UTF-8, which a desktop entry cannot hold: move or rename it", exe)
	case strings.Contains(exe, "="):
		return fmt.Errorf("the program's path %q contains \"=\", which a desktop entry cannot start: move or rename it", exe)
	}
	for _, r := range exe {
		if (r < 0x20 && r != '\t' && r != '\n') || r == 0x7f {
			return fmt.Errorf("the program's path %q contains a control character, which a desktop entry cannot hold: move or rename it", exe)
		}
	}
	return nil
}

// escapeString escapes s as a Desktop Entry string value.
func escapeString(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\t", `\t`, "\r", `\r`).Replace(s)
}

// stringEscapes maps the letter after a backslash in a string value to what it stands for.
var stringEscapes = map[byte]byte{'\\': '\\', 'n': '\n', 't': '\t', 'r': '\r', 's': ' '}

// unescapeString undoes escapeString (and the spec's \s).
func unescapeString(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		i++
		if i == len(s) {
			return "", errors.New("a backslash ends the value")
		}
		if c, ok := stringEscapes[s[i]]; ok {
			b.WriteByte(c)
		} else {
			// Not a string escape: left for the Exec quoting rules (which escape with \ too).
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}

// desktopEntryProgram reads a .desktop file: the program its Exec starts, and why the entry is
// off when Hidden=true or X-GNOME-Autostart-enabled=false says so.
func desktopEntryProgram(data []byte) (exe, disabled string, err error) {
	inEntry := false
	var execValue string
	found := false
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if strings.HasPrefix(line, "[") {
			inEntry = line == "[Desktop Entry]"
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !inEntry || !ok || strings.HasPrefix(line, "#") {
			continue
		}
		switch strings.TrimSpace(key) {
		case "Exec":
			execValue, found = strings.TrimSpace(value), true
		case "Hidden":
			if strings.TrimSpace(value) == "true" {
				disabled = "Hidden=true"
			}
		case "X-GNOME-Autostart-enabled":
			if strings.TrimSpace(value) == "false" && disabled == "" {
				disabled = "X-GNOME-Autostart-enabled=false"
			}
		}
	}
	if err := scanner.Err(); err != nil {
		return "", "", err
	}
	if !found {
		return "", "", errors.New("no Exec key in [Desktop Entry]")
	}
	args, err := splitExec(execValue)
	if err != nil {
		return "", "", fmt.Errorf("Exec=%s: %w", execValue, err)
	}
	return args[0], disabled, nil
}

// splitExec splits an Exec value into its arguments, undoing string escapes, quoting and %%.
// Field codes (%f, %U…) are left as they are.
func splitExec(value string) ([]string, error) {
	s, err := unescapeString(value)
	if err != nil {
		return nil, err
	}
	var args []string
	var arg strings.Builder
	inArg, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '\\':
			i++
			if i == len(s) || !strings.ContainsRune("\"`$\\", rune(s[i])) {
				return nil, errors.New(`a backslash inside quotes escapes only " ` + "`" + ` $ or \`)
			}
			arg.WriteByte(s[i])
		case quoted && c == '"':
			quoted = false
		case quoted:
			arg.WriteByte(c)
		case c == ' ':
			if inArg {
				args = append(args, arg.String())
				arg.Reset()
				inArg = false
			}
		case c == '"':
			if inArg {
				return nil, errors.New("a quote inside an argument")
			}
			inArg, quoted = true, true
		case strings.IndexByte(execReserved, c) >= 0:
			return nil, fmt.Errorf("%q outside quotes", c)
		default:
			inArg = true
			arg.WriteByte(c)
		}
	}
	if quoted {
		return nil, errors.New("an unterminated quote")
	}
	if inArg {
		args = append(args, arg.String())
	}
	if len(args) == 0 {
		return nil, errors.New("no program")
	}
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "%%", "%")
	}
	return args, nil
}
