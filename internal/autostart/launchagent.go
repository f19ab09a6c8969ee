package autostart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
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
// Program when there are none, and why it is off when Disabled is true.
func launchAgentProgram(data []byte) (exe, disabled string, err error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	depth := 0        // of elements; the top dict's keys are at depth 3 (plist, dict, key)
	key := ""         // the last key of the top dict
	var args []string // ProgramArguments' strings
	program := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", "", fmt.Errorf("not a property list: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 3 && t.Name.Local == "key":
				var k string
				if err := dec.DecodeElement(&k, &t); err != nil {
					return "", "", err
				}
				key = strings.TrimSpace(k)
				depth--
			case depth == 3 && key == "Program" && t.Name.Local == "string":
				if err := dec.DecodeElement(&program, &t); err != nil {
					return "", "", err
				}
				depth--
			case depth == 3 && key == "Disabled" && t.Name.Local == "true":
				disabled = "Disabled is true"
			case depth == 4 && key == "ProgramArguments" && t.Name.Local == "string":
				var s string
				if err := dec.DecodeElement(&s, &t); err != nil {
					return "", "", err
				}
				args = append(args, s)
				depth--
			}
		case xml.EndElement:
			depth--
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
