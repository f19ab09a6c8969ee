package autostart

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestLaunchAgentStartsTheProgramAtLoginInTheDesktopSession(t *testing.T) {
	t.Parallel()
	got, err := LaunchAgent("/Applications/Flamenco Tray.app/Contents/MacOS/flamenco-tray")
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>org.flamenco.tray</string>
	<key>ProgramArguments</key>
	<array>
		<string>/Applications/Flamenco Tray.app/Contents/MacOS/flamenco-tray</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>LimitLoadToSessionType</key>
	<string>Aqua</string>
	<key>ProcessType</key>
	<string>Interactive</string>
</dict>
</plist>
`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestLaunchAgentEscapesXML(t *testing.T) {
	t.Parallel()
	for _, exe := range []string{
		"/Users/ana/Apps & Tools/<new>/\"tray\" 'x'/flamenco-tray",
		"/Users/jürgen/Программы/]]>/tray",
		"/Users/x/tab\there/tray",
	} {
		plist, err := LaunchAgent(exe)
		if err != nil {
			t.Fatalf("LaunchAgent(%q): %v", exe, err)
		}
		// Well-formed XML, every element closed.
		dec := xml.NewDecoder(strings.NewReader(string(plist)))
		for {
			if _, err := dec.Token(); err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("%q: not well-formed: %v\n%s", exe, err, plist)
				}
				break
			}
		}
		got, disabled, err := launchAgentProgram(plist)
		if err != nil || got != exe || disabled != "" {
			t.Errorf("%q read back as %q, %q, %v from\n%s", exe, got, disabled, err, plist)
		}
	}
}

func TestLaunchAgentRefusesWhatXMLCannotHold(t *testing.T) {
	t.Parallel()
	for _, exe := range []string{"", "/a/\x01/tray", "/a/\xff/tray"} {
		if _, err := LaunchAgent(exe); err == nil {
			t.Errorf("LaunchAgent(%q): no error", exe)
		}
	}
}

func TestLaunchAgentProgramReadsOtherShapes(t *testing.T) {
	t.Parallel()
	const head = `<?xml version="1.0"?><plist version="1.0"><dict>`
	tests := []struct{ plist, exe, disabled string }{
		{head + `<key>Label</key><string>x</string><key>Program</key><string>/bin/tray</string></dict></plist>`, "/bin/tray", ""},
		{head + `<key>EnvironmentVariables</key><dict><key>ProgramArguments</key><string>/not/this</string></dict>` +
			`<key>ProgramArguments</key><array><string>/bin/tray</string><string>--debug</string></array>` +
			`<key>Disabled</key><true/></dict></plist>`, "/bin/tray", "Disabled is true"},
		// launchd's parser (CoreFoundation's) reads the first element and ignores what follows:
		// such an entry starts its program, so it is read as launchd reads it.
		{head + `<key>Program</key><string>/bin/tray</string></dict></plist><junk`, "/bin/tray", ""},
	}
	for _, tt := range tests {
		exe, disabled, err := launchAgentProgram([]byte(tt.plist))
		if err != nil || exe != tt.exe || disabled != tt.disabled {
			t.Errorf("%s: %q %q %v; want %q %q", tt.plist, exe, disabled, err, tt.exe, tt.disabled)
		}
	}
	for _, bad := range []string{"", "not xml", head + `<key>Label</key><string>x</string></dict></plist>`} {
		if exe, _, err := launchAgentProgram([]byte(bad)); err == nil {
			t.Errorf("%q: %q, want an error", bad, exe)
		}
	}
}
