package autostart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// LaunchAgent is the macOS LaunchAgent property list that starts exe when the user logs in to the
// desktop (Aqua), as an interactive app. launchd.plist(5).
func LaunchAgent(exe string) ([]byte, error) {
	if exe == "" {
		return nil, errors.New("no program to start")
	}
	for _, r := range exe {
		// XML 1.0 cannot carry these at all, escaped or not.
		if r == utf8.RuneError || (r < 0x20 && r != '\t' && r != '\n' && r != '\r') {
			return nil, fmt.Errorf("the program's path %q cannot be written in a property list: move or rename it", exe)
		}
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + ID + `</string>
	<key>ProgramArguments</key>
	<array>
		<string>`)
	if err := xml.EscapeText(&b, []byte(exe)); err != nil {
		return nil, err
	}
	b.WriteString(`</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>LimitLoadToSessionType</key>
	<string>Aqua</string>
	<key>ProcessType</key>
	<string>Interactive</string>
</dict>
</plist>
`)
	return b.Bytes(), nil
}

// launchAgentProgram reads a LaunchAgent property list: the first of its ProgramArguments, or
// Program when there are none, and why it is off when Disabled is true. Like launchd, it reads the
// first element and ignores anything after it.
func launchAgentProgram(data []byte) (exe, disabled string, err error) {
	var plist struct {
		Dict struct {
			// The top dict's elements in order: each <key>, then its value.
			Items []struct {
				XMLName xml.Name
				Text    string   `xml:",chardata"`
				Strings []string `xml:"string"`
			} `xml:",any"`
		} `xml:"dict"`
	}
	if err := xml.Unmarshal(data, &plist); err != nil {
		return "", "", fmt.Errorf("not a property list: %w", err)
	}
	var key, program string
	var args []string
	for _, item := range plist.Dict.Items {
		switch element := item.XMLName.Local; {
		case element == "key":
			key = strings.TrimSpace(item.Text)
		case key == "Program" && element == "string":
			program = item.Text
		case key == "ProgramArguments" && element == "array":
			args = append(args, item.Strings...)
		case key == "Disabled" && element == "true":
			disabled = "Disabled is true"
		}
	}
	switch {
	case len(args) > 0:
		return args[0], disabled, nil
	case program != "":
		return program, disabled, nil
	}
	return "", "", errors.New("no ProgramArguments or Program")
}
